#!/usr/bin/env python3
"""End-to-end in a real browser: Debian's headless Chromium loads the built-in status page of
the real incidentd after incidents were driven through Slack (issue 7's browser test).

Through slackemu: four incidents are declared by `/incident declare ... --component`; three are
published with the preview's Publish button (one with a `<script>` title), one is moved to
identified, one is resolved with a public postmortem written in the postmortem form, and one is
never published. Then `chromium --headless=new` dumps the DOM of `/` and of an incident's page
(desktop and phone-sized windows) and takes screenshots. Checked: the titles (the `<script>` one
as text, no script element anywhere), statuses, components with the statuses their incidents give
them and uptime bars,
the postmortem, nothing of the unpublished incident, no console errors (CSP refusals, script
errors); each PNG has a valid signature, IHDR of the window's size and is not trivial, and its
pixels show the stylesheet was applied (the banner's colour).

usage: browser_e2e.py path/to/incidentd path/to/slackemu [--chromium PATH]
                      [--keep-screenshot DIR]   (writes DIR/status-page.png and
                                                 DIR/status-page-phone.png)
"""
import argparse
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import urllib.request
import zlib

from e2e_util import (call, db_rows, log_tail, slash, start_incidentd, start_slackemu,
                      wait_for)

ALICE = "U0ALICE0001"
EVIL = "Login page shows <script>alert(1)</script>"
DESKTOP, PHONE = (1280, 1100), (390, 844)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


# ---- driving incidents through Slack ----

def incident_channel(db, inc_id):
    return wait_for(lambda: (db_rows(db, "SELECT channel_id FROM incidents WHERE id = ?",
                                     (inc_id,)) or [[None]])[0][0], 30)


def incident_status(db, inc_id):
    r = db_rows(db, "SELECT status FROM incidents WHERE id = ?", (inc_id,))
    return r[0][0] if r else None


def publish(base, db, inc_id, cid, message):
    """/incident publish, then the preview's Publish button; waits until it is public."""
    slash(base, ALICE, cid, "publish " + message)
    eph = wait_for(lambda: [m for m in call(base, "/_emu/state")["ephemeral"]
                            if m["recipient"] == ALICE and m.get("channel") in (cid, None)
                            and "inc_publish_confirm" in str(m.get("blocks"))
                            and m["ts"] not in publish.clicked], 20)
    if not check(eph, "publish preview of incident %d" % inc_id):
        return
    publish.clicked.add(eph[0]["ts"])
    r = call(base, "/_emu/click", {"user_id": ALICE, "message_ts": eph[0]["ts"],
                                   "action_id": "inc_publish_confirm"})
    check(r.get("ok"), "publish click of incident %d: %r" % (inc_id, r))
    check(wait_for(lambda: db_rows(db, "SELECT published FROM incidents WHERE id = ?",
                                   (inc_id,))[0][0] == 1, 20), "incident %d published" % inc_id)


publish.clicked = set()


def set_status(base, db, inc_id, cid, status, message):
    slash(base, ALICE, cid, "status %s %s" % (status, message))
    check(wait_for(lambda: incident_status(db, inc_id) == status, 20),
          "incident %d -> %s (is %s)" % (inc_id, status, incident_status(db, inc_id)))


def write_postmortem(base, db, inc_id, cid):
    slash(base, ALICE, cid, "postmortem")

    def view():
        vs = [v for v in call(base, "/_emu/state")["views"]
              if v.get("callback_id") == "incident_postmortem" and v.get("user") == ALICE
              and v["status"] == "open"]
        return vs[-1] if vs else None
    v = wait_for(view, 20)
    if not check(v, "postmortem form opens"):
        return
    r = call(base, "/_emu/submit", {"view_id": v["id"], "user_id": ALICE, "values": {
        "pm_impact": {"pm_impact_input": "Search results were up to 40 minutes old in the EU."},
        "pm_happened": {"pm_happened_input": "An indexer node ran out of disk space."},
        "pm_done": {"pm_done_input": "We added disk and re-indexed."},
        "pm_next": {"pm_next_input": "Alert on indexer lag."}}})
    check(r.get("ok"), "postmortem submitted: %r" % r)
    # The submission shows a preview; only its button publishes.
    eph = wait_for(lambda: [m for m in call(base, "/_emu/state")["ephemeral"]
                            if m["recipient"] == ALICE
                            and "inc_pm_publish" in json.dumps(m.get("blocks"))], 20)
    if not check(eph, "postmortem preview shown"):
        return
    r = call(base, "/_emu/click", {"user_id": ALICE, "message_ts": eph[-1]["ts"],
                                   "action_id": "inc_pm_publish"})
    check(r.get("ok"), "postmortem publish clicked: %r" % r)
    check(wait_for(lambda: incident_status(db, inc_id) == "postmortem", 20),
          "incident %d -> postmortem" % inc_id)


def drive_incidents(base, db):
    """Incidents 1-4 as the module's docstring says; waits until the bot is idle."""
    def declare(inc_id, text):
        slash(base, ALICE, "C0GENERAL01", "declare " + text)
        return incident_channel(db, inc_id)

    c1 = declare(1, "Payments failing --sev critical --component API")
    c2 = declare(2, EVIL + " --sev minor --component Web")
    c3 = declare(3, "Search results stale --sev major --component EU")
    c4 = declare(4, "Hidden database failover --sev major --component API")
    if not check(c1 and c2 and c3 and c4, "four incident channels: %r" % [c1, c2, c3, c4]):
        return
    publish(base, db, 1, c1, "Card payments fail for some customers.")
    set_status(base, db, 1, c1, "identified", "A bad deploy of the payment gateway; rolling back.")
    publish(base, db, 2, c2, "Some users see a broken login page.")
    publish(base, db, 3, c3, "Search results in the EU are out of date.")
    set_status(base, db, 3, c3, "identified", "An indexer is behind.")
    set_status(base, db, 3, c3, "monitoring", "The indexer caught up; watching it.")
    set_status(base, db, 3, c3, "resolved", "Search is current again.")
    write_postmortem(base, db, 3, c3)


# ---- the browser ----

def chromium(exe, tmp, url, size, screenshot=None):
    """Runs headless Chromium on url: (DOM as text, stderr). A fresh profile each run, no
    background networking (the machine has no network)."""
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
    cmd = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", "--hide-scrollbars",
           "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
           "--window-size=%d,%d" % size]
    cmd += ["--screenshot=" + screenshot] if screenshot else ["--dump-dom"]
    p = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=90)
    shutil.rmtree(profile, ignore_errors=True)
    return p.stdout, p.stderr


def console_errors(stderr):
    """Console messages and page errors Chromium logged for the page (CSP refusals, script
    errors, failed subresources)."""
    bad = ("CONSOLE", "Uncaught", "Refused to", "Content Security Policy",
           "Failed to load resource")
    return [l for l in stderr.splitlines() if any(b in l for b in bad)]


class Dom(html.parser.HTMLParser):
    """The parts of a dumped DOM the checks read: every tag's count, the visible text, and
    the text of elements by class."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.by_class, self.open = {}, [], {}, []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag in ("meta", "link", "br", "img", "input"):
            return
        classes = (dict(attrs).get("class") or "").split()
        self.open.append((tag, classes, len(self.text)))

    def handle_endtag(self, tag):
        while self.open:
            t, classes, start = self.open.pop()
            for c in classes:
                self.by_class.setdefault(c, []).append(" ".join(self.text[start:]).strip())
            if t == tag:
                break

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())

    def all_text(self):
        return " ".join(self.text)


def png_info(path):
    """(width, height, rows of RGB tuples of the first 400 rows) of an 8-bit, non-interlaced
    RGB/RGBA PNG, checking its signature, chunk CRCs and zlib stream; raises ValueError."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no PNG signature")
    pos, idat, w = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]:
            raise ValueError("bad CRC in %r" % kind)
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("unexpected PNG format %r" % ((depth, ctype, interlace),))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    if w is None or not idat:
        raise ValueError("no IHDR or IDAT")
    d = zlib.decompressobj()
    stride = w * bpp
    raw = d.decompress(b"".join(idat), (stride + 1) * min(h, 400))
    rows, prev = [], bytearray(stride)
    for y in range(min(h, 400)):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif ft == 4:
                c = prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def check_png(path, size, banner_rgb, what):
    if not check(os.path.exists(path), "%s: screenshot written" % what):
        return
    n = os.path.getsize(path)
    check(n > 10000, "%s: screenshot not trivial (%d bytes)" % (what, n))
    try:
        w, h, rows = png_info(path)
    except (ValueError, struct.error, zlib.error, IndexError) as e:
        check(False, "%s: not a valid PNG: %s" % (what, e))
        return
    check((w, h) == size, "%s: PNG is %dx%d, window %dx%d" % ((what, w, h) + size))
    colours = {}
    for r in rows:
        for px in r:
            colours[px] = colours.get(px, 0) + 1
    check(len(colours) > 20, "%s: more than a blank image (%d colours)" % (what, len(colours)))
    check(colours.get(banner_rgb, 0) > 2000,
          "%s: the banner's colour #%02x%02x%02x is painted (%d px): the stylesheet applied"
          % ((what,) + banner_rgb + (colours.get(banner_rgb, 0),)))


def check_index(dom, what):
    text = dom.all_text()
    check(dom.tags.get("script", 0) == 0, "%s: no script element" % what)
    check(EVIL in text, "%s: the <script> title shown as text" % what)
    titles = dom.by_class.get("inc", [])
    check(any(t.startswith("Payments failing") for t in titles) and
          any(t.startswith(EVIL) for t in titles),
          "%s: the two open published incidents are active: %r" % (what, titles))
    check(not any("Search results stale" in t for t in titles),
          "%s: the resolved one is not active" % what)
    check("Search results stale Postmortem" in text, "%s: the resolved one in history with its "
          "status" % what)
    check("Hidden database failover" not in text, "%s: the unpublished one is not shown" % what)
    banner = dom.by_class.get("banner", [])
    check(banner == ["Major System Outage"], "%s: banner %r" % (what, banner))
    for needle in ("Identified - A bad deploy of the payment gateway; rolling back.",
                   "Investigating - Card payments fail for some customers.",
                   "Investigating - Some users see a broken login page."):
        check(needle in text, "%s: update %r shown" % (what, needle))
    # Component statuses follow the published, unresolved incidents that hold them: API has the
    # critical INC-1 (major outage), Web the minor INC-2 (degraded); EU's INC-3 is resolved and
    # US has none; the unpublished INC-4 on API changes nothing.
    comps = dom.by_class.get("st", [])
    check(comps == ["Major Outage", "Degraded Performance", "Operational", "Operational"],
          "%s: component statuses: %r" % (what, comps))
    for needle in ("API Public REST API Major Outage", "Web Degraded Performance",
                   "Regions EU Operational", "US Operational"):
        check(needle in text, "%s: component %r shown" % (what, needle))
    check(len(dom.by_class.get("bar", [])) == 4 and
          all(b.startswith("90 days ago") or b == "" for b in dom.by_class.get("bar", [])),
          "%s: an uptime bar per component: %r" % (what, dom.by_class.get("bar")))
    check(text.count("% uptime") == 4 and text.count("100.0 % uptime") >= 1,
          "%s: uptime figures" % what)


def check_incident(dom, what):
    text = dom.all_text()
    check(dom.tags.get("script", 0) == 0, "%s: no script element" % what)
    check(dom.by_class.get("banner") == ["Postmortem · major impact"],
          "%s: banner %r" % (what, dom.by_class.get("banner")))
    for needle in ("Search results stale", "Affected: EU", "Postmortem published",
                   "What happened", "An indexer node ran out of disk space.",
                   "Resolved - Search is current again.", "Identified - An indexer is behind."):
        check(needle in text, "%s: %r shown" % (what, needle))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("incidentd")
    ap.add_argument("slackemu")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    ap.add_argument("--keep-screenshot", metavar="DIR",
                    help="copy the screenshots to DIR/status-page.png and "
                         "DIR/status-page-phone.png")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="incidentd-browser-")
    db = os.path.join(tmp, "incidentd.db")
    emu, base = start_slackemu(args.slackemu, tmp, "--no-rate-limits")
    bot = None
    try:
        bot, http = start_incidentd(
            args.incidentd, tmp, base, "bot.log",
            extra_config='[statuspage]\ntitle = "Example Status"\n'
                         'url = "https://status.example.com/"\n'
                         '[[statuspage.components]]\nname = "API"\n'
                         'description = "Public REST API"\n'
                         '[[statuspage.components]]\nname = "Web"\n'
                         '[[statuspage.components]]\nname = "EU"\ngroup = "Regions"\n'
                         '[[statuspage.components]]\nname = "US"\ngroup = "Regions"\n')
        assert call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"]
        drive_incidents(base, db)
        check(bot.poll() is None, "bot running after the incidents")
        slug = (db_rows(db, "SELECT slug FROM incidents WHERE id = 3") or [[None]])[0][0]
        inc_path = "/incidents/" + (slug or "INC-3")
        # The page is cached for 1 s: wait until the postmortem has reached it.
        def page_has(path, needle):
            try:
                with urllib.request.urlopen(http + path, timeout=10) as r:
                    return needle in r.read()
            except OSError:
                return False
        check(wait_for(lambda: page_has("/", b"Postmortem"), 10), "/ shows the postmortem")

        shots = {}
        for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            dom_text, err = chromium(args.chromium, tmp, http + "/", size)
            check(dom_text.lstrip().startswith("<html") or "<body" in dom_text,
                  "%s /: a DOM was dumped (%d bytes): %s" % (name, len(dom_text), err[-500:]))
            check_index(Dom(dom_text), "%s /" % name)
            check(console_errors(err) == [], "%s /: console errors %r"
                  % (name, console_errors(err)))
            png = os.path.join(tmp, "%s.png" % name)
            _, err = chromium(args.chromium, tmp, http + "/", size, png)
            check(console_errors(err) == [], "%s / screenshot: console errors %r"
                  % (name, console_errors(err)))
            check_png(png, size, (0xc6, 0x28, 0x28), "%s / screenshot" % name)
            shots[name] = png
        dom_text, err = chromium(args.chromium, tmp, http + inc_path, DESKTOP)
        check_incident(Dom(dom_text), inc_path)
        check(console_errors(err) == [], "%s: console errors %r" % (inc_path, console_errors(err)))
        png = os.path.join(tmp, "incident.png")
        chromium(args.chromium, tmp, http + inc_path, PHONE, png)
        check_png(png, PHONE, (0xe8, 0x71, 0x0a), "%s phone screenshot" % inc_path)

        if args.keep_screenshot:
            os.makedirs(args.keep_screenshot, exist_ok=True)
            shutil.copyfile(shots["desktop"], os.path.join(args.keep_screenshot,
                                                           "status-page.png"))
            shutil.copyfile(shots["phone"], os.path.join(args.keep_screenshot,
                                                         "status-page-phone.png"))
            print("screenshots kept in %s" % args.keep_screenshot)
        check(bot.poll() is None, "bot still running")
        bot.terminate()
        rc = bot.wait(30)
        bot = None
        check(rc == 0, "clean exit after SIGTERM (sanitizers quiet): %r" % rc)
    finally:
        if bot:
            bot.terminate()
            bot.wait(30)
        emu.terminate()
        emu.wait(10)
    if failures:
        print(log_tail(os.path.join(tmp, "bot.log")), file=sys.stderr)
        print("browser_e2e: %d failed" % len(failures))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("browser_e2e: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
