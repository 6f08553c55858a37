#!/usr/bin/env python3
"""End-to-end: "Private stays private, public reads right" (issue 13), checked from outside with
the unmodified incidentd against slackemu, statuspageemu and a webhook receiver in this script.

  1  a breach incident through all steps ([slack] announce_channel and support_channel set,
     [privacy] at its defaults): declared with --breach, roles, notes, a severity change,
     identified -> monitoring -> resolved, a customer-facing support summary, a follow-up, the
     regulator decision, close; every text the team types carries a distinct marker. Then
     slackemu's whole state (every channel's messages with their edit history and threads,
     topics, purposes, names, bookmarks, pins, DMs, ephemeral messages, views, response_url
     posts) is searched: the markers and the incident channel's id appear only in its private
     channel and in what its team was sent; the announcement channel holds exactly one
     redacted announcement ("a private incident", severity, status, ask the IRM) and nothing
     threaded under it; the support channel only the summary, without title or channel. Someone
     outside the team (dave, a full member) then asks `/incident list`, `show INC-1`,
     `timeline INC-1` in #general: he must not be shown the title, channel or notes. The status
     page shows nothing of it. 1b: an incident declared normally and marked a breach later
     (`/incident breach`): its announcement becomes the redacted one and a note after that is
     not threaded under it.
  2  a published incident with notes carrying a marker before and after publishing (the preview
     then the Publish click), an update, identified -> monitoring -> resolved: the status page
     (/, the incident page, every /api/v2/*.json, /history.atom, /history.rss), every request
     the Statuspage emulator recorded and every webhook body hold the public messages and never
     the note marker.
  3  markup: publish/update/status messages with <@U|bob>, <@U> (named from the directory),
     <#C|support>, <https://example.com/x|our docs>, <javascript:alert(1)|click>, <!channel>,
     A &amp; B (&gt;50%), R&amp;D and a typed &lt;script&gt;, as Slack sends them: each output
     reads it once converted (JSON, Statuspage and webhooks: plain text; HTML: escaped once, an
     <a> for the https link only; feeds: that HTML inside XML), never a raw <@, <!channel>,
     double-escaped entity or an unescaped <script>. In Slack a note with <@U> keeps the mention
     working and <!channel>/<!here> are never posted raw by the bot.
  4  templates: a note "leak: {{incident.channel_id}} {{incident.declarer}}" is posted with the
     braces literally (no channel id in it); "{{incident.nope" in a note, a publish message and
     a status message fails nothing: posted, published, shown literally.

The public postmortem is left out: its flow (a preview click) is being reworked.
The scenarios run side by side, each with its own emulators, bot, temp dir and database. A
failing check names its scenario; that scenario's logs are printed (tail) and its temp dir kept.

usage: privacy_e2e.py path/to/incidentd path/to/slackemu [path/to/statuspageemu.py]
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from e2e_util import check, failures, run_side_by_side
from e2e_util import directory_synced
from e2e_util import (EMU_BOT_USER, block_ids, bot_idle, bot_messages, call, channel_by_id,
                      db_rows, emu_state, free_port, log_tail, message_text, slash,
                      start_incidentd, start_slackemu, thread_replies, top_level, url_path,
                      wait_for, wait_response)

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
SPEMU = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, "..", "statuspageemu",
                                                           "statuspageemu.py")
SP_KEY, SP_PAGE, SP_API = "e2e-privacy-key-0123456789", "pg0e2epriv001", "cmp0privapi01"
HOOK_SECRET = "e2e-privacy-webhook-secret-0123456789"

ALICE, BOB, CAROL, DAVE, ERIN = ("U0ALICE0001", "U0BOB000002", "U0CAROL0003", "U0DAVE00004",
                                 "U0ERIN00005")
INCIDENTS, GENERAL = "C0INCIDENTS", "C0GENERAL01"



class Receiver:
    """A webhook receiver on loopback: records every POST body, answers 200."""

    def __init__(self):
        self.lock = threading.Lock()
        self.bodies = []
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with rec.lock:
                    rec.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        """The decoded bodies, in arrival order."""
        with self.lock:
            return [json.loads(b) for b in self.bodies]

    def raw(self):
        with self.lock:
            return b"\n".join(self.bodies).decode("utf-8", "replace")

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Env:
    """One slackemu and one incidentd in a temp dir; with public=True also statuspageemu (the
    Atlassian mirror, component API) and a webhook receiver."""

    def __init__(self, name, scenario, slack_config="", extra_config="", public=False):
        self.name, self.scenario = name, scenario
        self.scenarios = {scenario}  # whose failures print this env's logs
        self.tmp = tempfile.mkdtemp(prefix="incidentd-privacy-%s-" % name)
        self.db = os.path.join(self.tmp, "incidentd.db")
        self.replies = {}  # response_url path -> the user it answers
        self.bot = self.spemu = self.hook = None
        self.emu, self.base = start_slackemu(SLACKEMU, self.tmp, "--no-rate-limits")
        if public:
            p = subprocess.Popen([sys.executable, SPEMU, "--port", "0", "--quiet", "--key",
                                  SP_KEY, "--page-id", SP_PAGE, "--component", SP_API + "=API"],
                                 stdout=subprocess.PIPE, text=True,
                                 stderr=open(os.path.join(self.tmp, "spemu.log"), "w"))
            self.spemu = p
            line = p.stdout.readline().strip()
            if not line.startswith("http://"):
                raise RuntimeError("statuspageemu did not print its address: %r" % line)
            self.sp_ctl = line[:-len("/v1")]
            self.hook = Receiver()
            extra_config += ('[statuspage.atlassian]\napi_base_url = "%s"\npage_id = "%s"\n'
                             'components = ["API=%s"]\n[[statuspage.components]]\nname = "API"\n'
                             '[[webhooks]]\nname = "recv"\nurl = "%s"\n'
                             'secret_env = "E2E_PRIVACY_WEBHOOK_SECRET"\n'
                             % (line, SP_PAGE, SP_API, self.hook.url))
        self.bot, self.http = start_incidentd(INCIDENTD, self.tmp, self.base, "bot.log",
                                              slack_config, extra_config)
        r = call(self.base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})
        if not r.get("ok"):
            raise RuntimeError("incidentd did not connect: %r\n%s" % (r, self.log()))
        # Names on the public side come from the directory the bot syncs at start.
        if not wait_for(self.directory_synced, 30):
            raise RuntimeError("incidentd did not sync the directory\n%s" % self.log())

    def log(self):
        return log_tail(os.path.join(self.tmp, "bot.log"))

    def directory_synced(self):
        return directory_synced(self.db)

    def state(self):
        return emu_state(self.base)

    def channel(self, cid, st=None):
        return channel_by_id(st or self.state(), cid)

    def ask(self, user, channel, text):
        """user runs `/incident text` in channel; (the reply's body or {}, its whole text)."""
        r = slash(self.base, user, channel, text)
        self.replies[url_path(r["response_url"])] = user
        posts = wait_response(self.base, r["response_url"], 1, 20)
        body = posts[0] if posts else {}
        return body, message_text(body)

    def expect(self, user, channel, text, words):
        """ask(), and check that the reply says words (the command was done)."""
        body, reply = self.ask(user, channel, text)
        check(words in reply, self.scenario, "%r answered %r; got %r" % (text, words, reply))
        return reply

    def idle(self, timeout=60.0):
        return wait_for(lambda: bot_idle(self.db), timeout)

    def incident_channel(self, n, timeout=30.0):
        def find():
            rows = db_rows(self.db, "SELECT channel_id FROM incidents WHERE id = ?", (n,))
            return rows[0][0] if rows and rows[0][0] and self.channel(rows[0][0]) else None
        return wait_for(find, timeout)

    def announcement(self, n, st=None):
        ch = channel_by_id(st or self.state(), INCIDENTS)
        return [m for m in bot_messages(ch) if "inc%d_announce" % n in block_ids(m)]

    def publish(self, user, cid, n, msg):
        """`/incident publish msg`, then the Publish button of its preview."""
        self.ask(user, cid, "publish %s" % msg)
        eph = wait_for(lambda: [m for m in self.state()["ephemeral"] if m["recipient"] == user
                                and '"value": "%d"' % n in json.dumps(m.get("blocks"))
                                and "inc_publish_confirm" in json.dumps(m.get("blocks"))], 15)
        if not check(eph, self.scenario, "the publish preview of INC-%d is shown" % n):
            return False
        c = call(self.base, "/_emu/click", {"user_id": user, "message_ts": eph[-1]["ts"],
                                            "action_id": "inc_publish_confirm"})
        check(c.get("ok"), self.scenario, "publish click delivered: %r" % c)
        if c.get("ok"):
            self.replies[url_path(c["response_url"])] = user
        return bool(wait_for(lambda: db_rows(self.db, "SELECT published FROM incidents WHERE"
                                             " id = ?", (n,))[0][0], 20))

    def get(self, path):
        """(HTTP status, body text) of a GET on the status page."""
        try:
            with urllib.request.urlopen(self.http + path, timeout=10) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def page_docs(self, extra=()):
        """Every public document of the status page: {path: text} (only 200 answers)."""
        paths = ["/", "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json",
                 "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json",
                 "/api/v2/scheduled-maintenances.json",
                 "/api/v2/scheduled-maintenances/upcoming.json",
                 "/api/v2/scheduled-maintenances/active.json",
                 "/history.atom", "/history.rss"] + list(extra)
        out = {}
        for p in paths:
            st, body = self.get(p)
            check(st == 200, self.scenario, "GET %s answers 200: %d" % (p, st))
            if st == 200:
                out[p] = body
        return out

    def sp_state(self):
        return call(self.sp_ctl, "/_emu/state")

    def sp_incident(self, n):
        """The Statuspage emulator's incident mirrored from INC-n (None: none)."""
        incs = [i for i in self.sp_state()["incidents"]
                if i.get("metadata", {}).get("incidentd", {}).get("tag", "").startswith(
                    "inc-%d-" % n)]
        return incs[0] if len(incs) == 1 else None

    def stop(self):
        s = self.scenario
        bad = db_rows(self.db, "SELECT id, kind, last_error FROM outbox WHERE state = 'failed'")
        check(not bad, s, "no effect given up: %r" % bad[:3])
        failed = db_rows(self.db, "SELECT id, type, error FROM inbox WHERE state = 'failed'")
        check(not failed, s, "no envelope failed: %r" % failed[:3])
        self.bot.send_signal(signal.SIGTERM)
        try:
            rc = self.bot.wait(timeout=20)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, s, "incidentd stopped cleanly on SIGTERM (exit %r)" % rc)
        text = open(os.path.join(self.tmp, "bot.log"), errors="replace").read()
        check("Sanitizer" not in text and "runtime error" not in text, s,
              "no sanitizer report in the bot's log")

    def close(self):
        for p in (self.bot, self.spemu, self.emu):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        if self.hook:
            self.hook.stop()
        if any(f.split(":", 1)[0] in self.scenarios for f in failures):
            for name in ("bot.log", "emu.log", "spemu.log"):
                if os.path.exists(os.path.join(self.tmp, name)):
                    sys.stderr.write("---- %s: %s (tail)\n%s" % (
                        self.name, name, log_tail(os.path.join(self.tmp, name), 40)))
            sys.stderr.write("---- %s: logs and database kept in %s\n" % (self.name, self.tmp))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---- reading what each audience sees ----

def strings(node, path=""):
    """(path, string) for every string in a JSON-like tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from strings(v, "%s.%s" % (path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from strings(v, "%s[%d]" % (path, i))
    elif isinstance(node, str):
        yield path, node


def hits(node, needles, where):
    """(where+path, needle, excerpt) for each needle found (case-insensitively) in node."""
    out = []
    for path, s in strings(node):
        low = s.lower()
        for n in needles:
            i = low.find(n.lower())
            if i >= 0:
                out.append((where + path, n, s[max(0, i - 60):i + len(n) + 60]))
    return out


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hrefs = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")

    def handle_data(self, data):
        self.parts.append(data)


def html_text(fragment):
    """(the text a browser shows for an HTML fragment, with whitespace runs made one space;
    the hrefs of its links)."""
    p = _Text()
    p.feed(fragment)
    p.close()
    return re.sub(r"\s+", " ", "".join(p.parts)), p.hrefs


def feed_fragments(doc):
    """The HTML fragments of an Atom or RSS document (<content> / <description> of entries)."""
    root = ET.fromstring(doc)
    out = []
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "content" or (tag == "description" and el.text and "<" in el.text):
            out.append(el.text or "")
    return out


def bot_texts(st):
    """(where, text) for everything the bot wrote to Slack: messages (with their earlier
    versions), topics and purposes it set, ephemeral messages, response_url posts and views."""
    out = []
    for c in st["channels"]:
        for m in c.get("messages", []):
            if m.get("user") != EMU_BOT_USER:
                continue
            for k, v in enumerate([m] + list(m.get("history") or [])):
                out.append(("%s msg %s v%d" % (c["id"], m.get("ts"), k), message_text(v)))
    for e in st["ephemeral"]:
        out.append(("ephemeral to %s" % e.get("recipient"), message_text(e)))
    for i in st["interactions"]:
        if i.get("kind") == "response_url":
            out.append(("response_url %s" % i.get("response_url"),
                        message_text(i.get("body") or {})))
    for v in st["views"]:
        out.append(("view %s" % v.get("id"), message_text(v)))
    return out


# ---- 1: a breach incident through all steps ----

S1 = {"title": "SECRET-TITLE-7f3", "note": "SECRET-NOTE-9a1", "note2": "SECRET-NOTE-2b8",
      "sev": "SECRET-SEVWHY-3c4", "identified": "SECRET-IDENT-4d5",
      "monitoring": "SECRET-MONIT-5e6", "resolved": "SECRET-RESOL-6f7",
      "followup": "SECRET-FOLLOW-7a8", "decision": "SECRET-DECIDE-8b9",
      "internal": "SECRET-KEEP-9c0"}
SUMMARY = "Some exports may be delayed; we will tell you more soon."


def breach_steps(env, s):
    team = {ALICE, BOB, CAROL}  # declarer, IRM, technical + support liaison and DPO
    env.expect(ALICE, INCIDENTS, "declare %s customer export exposed --breach --sev critical"
               % S1["title"], "is declared")
    cid = env.incident_channel(1)
    if not check(cid, s, "the incident channel was created"):
        return
    check(env.channel(cid).get("is_private"), s, "the breach incident's channel is private")
    env.expect(ALICE, cid, "role irm <@%s|bob>" % BOB, "is the IRM")
    env.expect(BOB, cid, "role tech <@%s|carol>" % CAROL, "is the technical liaison")
    env.expect(BOB, cid, "role support <@%s|carol>" % CAROL, "is the support liaison")
    env.expect(BOB, cid, "note %s the export bucket was world-readable" % S1["note"], "Noted")
    env.expect(CAROL, cid, "note %s 1,200 customer rows in it" % S1["note2"], "Noted")
    env.expect(BOB, cid, "severity major %s contained now" % S1["sev"], "is major now")
    env.expect(BOB, cid, "status identified %s bucket policy found" % S1["identified"],
               "is identified")
    # Someone outside the team asks about it while it is open (checked below, separately).
    outsider = []
    for text in ("list", "show INC-1", "timeline INC-1"):
        outsider.append((text, env.ask(DAVE, GENERAL, text)[1]))
    env.expect(CAROL, cid, "support summary %s" % SUMMARY, "Posted the summary")
    env.expect(BOB, cid, "status monitoring %s policy fixed" % S1["monitoring"], "is monitoring")
    env.expect(BOB, cid, "status resolved %s access closed" % S1["resolved"], "is resolved")
    env.expect(BOB, cid, "followup add %s rotate the export keys" % S1["followup"],
               "Added follow-up 1")
    env.expect(BOB, cid, "followup done 1", "Done: follow-up 1")
    env.expect(BOB, cid, "breach notify no %s no personal data left the bucket"
               % S1["decision"], "Recorded")
    # Closing asks about the open steps 2 (not published, not decided) and 3 (support plan).
    env.expect(BOB, cid, "close", "still has 2 open steps on its checklist: 2. Announce, 3. "
               "Support plan.")
    env.expect(BOB, cid, "publish --internal %s regulator first" % S1["internal"],
               "it stays internal")
    env.expect(CAROL, cid, "checklist done 3", "done by <@%s>" % CAROL)
    env.expect(BOB, cid, "close", "is closed")
    check(env.idle(), s, "the bot is idle after closing")
    st = env.state()
    inc_ch = channel_by_id(st, cid)

    # The markers did reach the incident channel (else the search below proves nothing).
    mine = "\n".join(message_text(m) for m in inc_ch.get("messages", []))
    missing = [k for k, v in S1.items() if v not in mine]
    check(not missing, s, "every marker is in the private channel (the steps ran): missing %r"
          % missing)

    # Where the markers and the channel id may be: the private channel, the DMs of the team,
    # what a team member was sent alone (ephemeral, response_url, views); what users typed
    # (the slash command's text in slackemu's interactions) is theirs. What dave was answered
    # is checked command by command below. Anything else leaks.
    needles = list(S1.values()) + [cid]
    leaks = []
    for c in st["channels"]:
        members = set(c.get("members") or []) - {EMU_BOT_USER}
        if c["id"] == cid or (c.get("is_im") and members <= team):
            continue
        leaks += hits(c, needles, "channel %s (#%s)" % (c["id"], c.get("name")))
    for e in st["ephemeral"]:
        if e.get("recipient") not in team | {DAVE}:
            leaks += hits(e, needles, "ephemeral to %s" % e.get("recipient"))
    for i in st["interactions"]:
        if i.get("kind") == "slash_command":
            continue
        who = env.replies.get(i.get("response_url"))
        if i.get("kind") == "response_url" and who in team | {DAVE}:
            continue
        leaks += hits(i, needles, "interaction %s to %s" % (i.get("kind"), who))
    for v in st["views"]:
        if v.get("user") not in team:
            leaks += hits(v, needles, "view %s of %s" % (v.get("id"), v.get("user")))
    for k, v in st.items():
        if k not in ("channels", "ephemeral", "interactions", "views"):
            leaks += hits(v, needles, k)
    check(not leaks, s, "the private incident's markers or channel id appear outside its "
          "channel and its team: %s" % "; ".join("%s has %r: %r" % h for h in leaks[:8]))

    # The announcement channel: exactly the redacted announcement, nothing threaded.
    ann_ch = channel_by_id(st, INCIDENTS)
    ann = [m for m in bot_messages(ann_ch) if "inc1_announce" in block_ids(m)]
    if check(len(ann) == 1, s, "one announcement of INC-1: %d" % len(ann)):
        t = message_text(ann[0])
        check("a private incident" in t and "*Severity:* major" in t and "*Status:* closed" in t
              and "Ask <@%s>" % BOB in t and "if you need access" in t, s,
              "the announcement is the redacted one (private, severity, status, ask the IRM "
              "bob): %r" % t)
        old = [message_text(v) for v in ann[0].get("history") or []]
        check(all("a private incident" in t for t in old), s, "every earlier version of the "
              "announcement was redacted too: %r" % [t for t in old
                                                     if "a private incident" not in t][:2])
    others = [m for m in top_level(bot_messages(ann_ch)) if m not in ann]
    check(not others, s, "nothing else of the bot in the announcement channel: %r"
          % [message_text(m)[:120] for m in others])
    threaded = [m for m in ann_ch.get("messages", [])
                if m.get("thread_ts") and m.get("thread_ts") != m.get("ts")]
    check(not threaded, s, "nothing threaded under the private announcement: %r"
          % [message_text(m)[:120] for m in threaded])
    # The support channel: the summary sent on purpose, without title or channel.
    sup = bot_messages(channel_by_id(st, GENERAL))
    if check(len(sup) == 1, s, "one bot message in the support channel: %r"
             % [message_text(m)[:120] for m in sup]):
        t = message_text(sup[0])
        check(t.startswith(":information_source: *INC-1* ") and SUMMARY in t
              and cid not in t and "<#" not in t and "customer export" not in t, s,
              "the support channel gets the summary without title or channel: %r" % t)

    # The status page never shows it.
    docs = env.page_docs()
    found = [(p, n) for p, d in docs.items() for n in needles + ["customer export"]
             if n.lower() in d.lower()]
    check(not found, s, "the status page shows nothing of the private incident: %r" % found)
    check(env.get("/incidents/INC-1")[0] == 404, s, "/incidents/INC-1 is 404 (never published)")

    # Someone outside the response team (dave) asks in #general.
    for text, reply in outsider:
        got = [n for n in needles + ["customer export"] if n.lower() in reply.lower()]
        check(not got, s, "dave, outside the response team of private INC-1 (not in its "
              "channel), runs `/incident %s` in #general and is shown %r: %r"
              % (text, got, reply[:400]))


def breach_later(env, s):
    """1b: INC-2 declared normally, marked a breach afterwards."""
    title, note = "LATER-TITLE-1c2 slow exports", "LATER-NOTE-2d3"
    env.expect(ALICE, INCIDENTS, "declare %s" % title, "is declared")
    cid = env.incident_channel(2)
    if not check(cid, s, "INC-2's channel was created"):
        return
    check(wait_for(lambda: [a for a in env.announcement(2) if title in message_text(a)], 30), s,
          "INC-2 is announced in full first")
    env.ask(ALICE, cid, "breach")
    check(env.idle(), s, "idle after /incident breach")
    env.expect(ALICE, cid, "note %s the exports bucket is open" % note, "Noted")
    check(env.idle(), s, "idle after the note")
    st = env.state()
    ann = env.announcement(2, st)
    if check(len(ann) == 1, s, "one announcement of INC-2"):
        t = message_text(ann[0])
        check("a private incident" in t and "LATER-TITLE" not in t and cid not in t, s,
              "marked a breach later, the announcement is now the redacted one: %r" % t)
        rep = thread_replies(channel_by_id(st, INCIDENTS), ann[0]["ts"])
        check(not [m for m in rep if note in message_text(m)], s,
              "a note after /incident breach is not threaded under the announcement: %r"
              % [message_text(m)[:120] for m in rep])
    check(note not in json.dumps(channel_by_id(st, INCIDENTS)), s,
          "the note is nowhere in the announcement channel")


def scenario_breach():
    s = "1-breach"
    env = Env("breach", s, 'announce_channel = "%s"\nsupport_channel = "%s"\n'
              % (INCIDENTS, GENERAL), '[roles]\ndpo = "%s"\n' % CAROL)
    env.scenarios.add("1b-breach-later")
    try:
        breach_steps(env, s)
        breach_later(env, "1b-breach-later")
        env.stop()
    finally:
        env.close()


# ---- 2: a published incident with notes ----

NOTE_MARK = "NOTE-ONLY-4e5f"
PUBLIC = ["We are looking into slow checkouts", "Checkout requests are retried for you",
          "The payment gateway answers slowly", "A fix is deployed and we are watching",
          "Checkout is fast again"]


def published_notes(env, s):
    env.expect(ALICE, GENERAL, "declare Checkout slow --component API", "is declared")
    cid = env.incident_channel(1)
    if not check(cid, s, "the incident channel was created"):
        return
    env.expect(ALICE, cid, "note %s the db pool is exhausted" % NOTE_MARK, "Noted")
    if not env.publish(ALICE, cid, 1, PUBLIC[0]):
        check(False, s, "INC-1 was not published")
        return
    env.expect(ALICE, cid, "note %s raised the pool to 200" % NOTE_MARK, "Noted")
    env.expect(ALICE, cid, "update %s" % PUBLIC[1], "is public")
    env.expect(ALICE, cid, "status identified %s" % PUBLIC[2], "is identified")
    env.expect(ALICE, cid, "note %s gateway ticket 4711" % NOTE_MARK, "Noted")
    env.expect(ALICE, cid, "status monitoring %s" % PUBLIC[3], "is monitoring")
    # Open: the front page and the open-incident documents list it with its updates.
    check(env.idle(), s, "idle while monitoring")
    docs = wait_for(lambda: (lambda d: d if PUBLIC[3] in d.get("/", "") else None)(
        env.page_docs()), 10) or env.page_docs()
    for p in ("/", "/api/v2/summary.json", "/api/v2/incidents/unresolved.json"):
        check(PUBLIC[3] in docs.get(p, ""), s, "%s shows the open incident's latest update" % p)
    check(not [p for p, d in docs.items() if NOTE_MARK in d], s, "no note on the page while "
          "open: %r" % [p for p, d in docs.items() if NOTE_MARK in d])
    env.expect(ALICE, cid, "status resolved %s" % PUBLIC[4], "is resolved")
    env.expect(ALICE, cid, "note %s closing the gateway ticket" % NOTE_MARK, "Noted")
    check(env.idle(), s, "idle after resolving")
    sp = wait_for(lambda: (lambda i: i if i and i.get("status") == "resolved" else None)(
        env.sp_incident(1)), 40)
    check(sp, s, "the Statuspage emulator's incident follows to resolved")
    check(wait_for(lambda: [e for e in env.hook.events() if e["event"] == "incident.resolved"],
                   30), s, "the webhook receives incident.resolved")

    docs = env.page_docs(["/incidents/INC-1"])
    incs = json.loads(docs.get("/api/v2/incidents.json", '{"incidents": []}'))["incidents"]
    if check(len(incs) == 1, s, "incidents.json lists the one published incident"):
        bodies = [u["body"] for u in incs[0]["incident_updates"]]
        check(all(m in bodies for m in PUBLIC), s, "incidents.json has every public message: %r"
              % bodies)
        st, d = env.get("/incidents/%s" % incs[0]["id"])
        check(st == 200, s, "the incident page by its public id: %d" % st)
        docs["/incidents/" + incs[0]["id"]] = d
    for p in ("/incidents/INC-1", "/history.atom", "/history.rss"):
        text = docs.get(p, "")
        if p.startswith("/history"):
            text = " ".join(html_text(f)[0] for f in feed_fragments(text)) if text else ""
        check(all(m in text for m in PUBLIC), s, "%s has every public message: missing %r"
              % (p, [m for m in PUBLIC if m not in text]))
    leaked = [p for p, d in docs.items() if NOTE_MARK.lower() in d.lower()]
    check(not leaked, s, "the note marker is on the status page: %r" % leaked)
    spst = env.sp_state()
    check(NOTE_MARK not in json.dumps(spst), s, "the note marker reached the Statuspage "
          "emulator: %r" % [r["path"] for r in spst["requests"] if NOTE_MARK in json.dumps(r)])
    sp_bodies = [u["body"] for u in (sp or {}).get("incident_updates", [])]
    check(all(m in sp_bodies for m in PUBLIC), s, "Statuspage has every public message: %r"
          % sp_bodies)
    check(NOTE_MARK not in env.hook.raw(), s, "the note marker is in a webhook body")
    msgs = [e["incident"]["message"] for e in env.hook.events()]
    check(all(m in msgs for m in PUBLIC), s, "the webhooks carry every public message: %r" % msgs)


def scenario_published():
    s = "2-published-notes"
    env = Env("published", s, public=True)
    try:
        published_notes(env, s)
        env.stop()
    finally:
        env.close()


# ---- 3: markup; 4: templates ----

# (as Slack sends it, as plain text reads, as HTML holds it: a regex; the page must also have
# the https link as <a>, the feeds may show its label only)
MARKUP = [
    ("Ping <@%s|bob> in <#C0RANDOM001|support>, see <https://example.com/x|our docs> today" % BOB,
     "Ping @bob in #support, see our docs today",
     r'Ping @bob in #support, see (<a href="https://example\.com/x"[^>]*>)?our docs(</a>)? today'),
    ("Do not <javascript:alert(1)|click> this, <!channel>: A &amp; B (&gt;50%) at R&amp;D now",
     "Do not click this, @channel: A & B (>50%) at R&D now",
     re.escape("Do not click this, @channel: A &amp; B (&gt;50%) at R&amp;D now")),
    ("Typed &lt;script&gt;alert(1)&lt;/script&gt; by <@%s> here" % CAROL,
     "Typed <script>alert(1)</script> by @carol here",
     re.escape("Typed &lt;script&gt;alert(1)&lt;/script&gt; by @carol here")),
]
# Seen in no public output at all: Slack's raw sequences, entities escaped twice.
RAW_BAD = ["<@", "<#C", "<!channel>", "<!here>", "&amp;amp;", "&amp;lt;", "&amp;gt;", "&lt;@",
           "&lt;!channel"]
NOTE3 = "note Heads-up <@%s|bob> and <!channel> <!here> about R&amp;D" % BOB


def check_json_doc(s, name, doc, plains):
    """A JSON document: valid, holds each plain text as a value, no entity or raw sequence."""
    try:
        values = [v for _, v in strings(json.loads(doc))]
    except ValueError as e:
        check(False, s, "%s is not JSON: %s" % (name, e))
        return
    blob = "\n".join(values)
    for p in plains:
        check(p in blob, s, "%s reads %r: %r" % (name, p, [v for v in values if "@" in v
                                                          or "&" in v][:6]))
    bad = [b for b in RAW_BAD + ["&amp;", "&lt;", "&gt;"] if b in blob]
    check(not bad, s, "%s has Slack markup or entities in its values: %r" % (name, bad))


def check_html(s, name, doc, patterns, plains):
    """HTML: each fragment as the regex says (escaped once, links), read as the plain text."""
    for pat in patterns:
        check(re.search(pat, doc), s, "%s holds %r" % (name, pat))
    text, hrefs = html_text(doc)
    for p in plains:
        check(p in text, s, "%s reads %r in a browser" % (name, p))
    bad = [b for b in RAW_BAD if b in doc]
    check(not bad, s, "%s has raw Slack markup or entities escaped twice: %r" % (name, bad))
    check(not re.search(r"<script", doc, re.I), s, "%s has an unescaped <script>" % name)
    check(not [h for h in hrefs if not re.match(r"(https?:|/|#|mailto:)", h.strip(), re.I)
               and h.strip()], s, "%s links to another scheme: %r" % (name, hrefs))


def markup(env, s):
    env.expect(ALICE, GENERAL, "declare Markup check", "is declared")
    cid = env.incident_channel(1)
    if not check(cid, s, "the incident channel was created"):
        return
    if not env.publish(ALICE, cid, 1, MARKUP[0][0]):
        check(False, s, "INC-1 was not published")
        return
    env.expect(ALICE, cid, "update %s" % MARKUP[1][0], "is public")
    env.expect(ALICE, cid, "status identified %s" % MARKUP[2][0], "is identified")
    env.expect(ALICE, cid, NOTE3, "Noted")
    check(env.idle(), s, "idle after the markup messages")
    plains = [m[1] for m in MARKUP]
    sp = wait_for(lambda: (lambda i: i if i and len(i.get("incident_updates", [])) >= 3
                           and i.get("status") == "identified" else None)(env.sp_incident(1)), 40)
    check(sp, s, "the Statuspage emulator got the three public messages")
    check(wait_for(lambda: len(env.hook.events()) >= 3, 30), s, "three webhook events")

    docs = env.page_docs(["/incidents/INC-1"])
    for p, d in docs.items():
        if p.endswith(".json") and p != "/api/v2/status.json" and "maintenances" not in p \
                and p != "/api/v2/components.json":
            check_json_doc(s, p, d, plains)
        elif p.endswith(".json"):
            check_json_doc(s, p, d, [])
    for p in ("/", "/incidents/INC-1"):
        if p in docs:
            check_html(s, p, docs[p], [m[2] for m in MARKUP], plains)
            check(re.search(r'<a href="https://example\.com/x"[^>]*>our docs</a>', docs[p]), s,
                  "%s links \"our docs\" to https://example.com/x" % p)
    for p in ("/history.atom", "/history.rss"):
        if p not in docs:
            continue
        try:
            frags = feed_fragments(docs[p])
        except ET.ParseError as e:
            check(False, s, "%s is not XML: %s" % (p, e))
            continue
        check(frags, s, "%s has an entry" % p)
        check_html(s, p + " (entry HTML)", "\n".join(frags), [m[2] for m in MARKUP], plains)
        # In the XML itself the text is escaped once more: nothing of Slack's survives.
        bad = [b for b in ["<@", "<!channel>", "&lt;@", "&lt;!channel"] if b in docs[p]]
        check(not bad, s, "%s has Slack markup: %r" % (p, bad))
    # The Atlassian mirror and the webhooks: plain text.
    sp_bodies = [u["body"] for u in (sp or {}).get("incident_updates", [])]
    for p in plains:
        check(p in sp_bodies, s, "Statuspage reads %r: %r" % (p, sp_bodies))
    check_json_doc(s, "the Statuspage requests", json.dumps(
        [r.get("body") for r in env.sp_state()["requests"]]), [])
    hook_msgs = [e["incident"]["message"] for e in env.hook.events()]
    for p in plains:
        check(p in hook_msgs, s, "a webhook reads %r: %r" % (p, hook_msgs))
    check_json_doc(s, "the webhook bodies", "[%s]" % env.hook.raw().replace("\n", ","), [])

    # In Slack: the note keeps bob's mention working, mass mentions are words.
    st = env.state()
    notes = [m for m in bot_messages(channel_by_id(st, cid)) if "Heads-up" in message_text(m)]
    if check(notes, s, "the note is posted in the incident channel"):
        t = message_text(notes[0])
        check("<@%s" % BOB in t and "&lt;@" not in t, s, "the note's mention of bob works: %r" % t)
        check("@channel" in t and "@here" in t and "R&amp;D" in t, s,
              "the note has @channel, @here as words and R&D as Slack shows it: %r" % t)
    raw = [(w, b) for w, t in bot_texts(st)
           for b in ("<!channel>", "<!here>", "<!everyone>", "&amp;amp;", "&amp;lt;", "&lt;@")
           if b in t]
    check(not raw, s, "the bot posted mass mentions raw or entities escaped twice: %r" % raw[:6])


TPL_NOTE = "leak: {{incident.channel_id}} {{incident.declarer}}"
TPL_NOTE2 = "half-written {{incident.nope and more"
TPL_PUBLISH = "Publish says {{incident.nope and stays"
TPL_STATUS = "Status says {{incident.nope}} and {{ too"


def templates(env, s):
    env.expect(ALICE, GENERAL, "declare Template check", "is declared")
    cid = env.incident_channel(2)
    if not check(cid, s, "INC-2's channel was created"):
        return
    env.expect(ALICE, cid, "note %s" % TPL_NOTE, "Noted")
    env.expect(ALICE, cid, "note %s" % TPL_NOTE2, "Noted")
    if not env.publish(ALICE, cid, 2, TPL_PUBLISH):
        check(False, s, "INC-2 was not published with %r" % TPL_PUBLISH)
        return
    env.expect(ALICE, cid, "status identified %s" % TPL_STATUS, "is identified")
    check(env.idle(), s, "idle after the template texts")
    ch = env.channel(cid)
    msgs = [message_text(m) for m in bot_messages(ch)]
    leak = [t for t in msgs if TPL_NOTE.split("{{")[0] in t and "Note by" in t]
    if check(leak, s, "the note with placeholders is posted: %r" % msgs[-6:]):
        check(TPL_NOTE in leak[0] and cid not in leak[0], s,
              "the note is posted with its braces literally, no channel id: %r" % leak[0])
    check([t for t in msgs if TPL_NOTE2 in t], s, "the unterminated placeholder's note is "
          "posted literally")
    check([t for t in msgs if TPL_STATUS in t], s, "the status message is posted literally")
    ok = wait_for(lambda: (lambda d: d if TPL_STATUS in d else None)(
        env.get("/incidents/INC-2")[1]), 10)
    page = env.get("/incidents/INC-2")[1]
    check(ok and TPL_PUBLISH in page and TPL_STATUS in page, s,
          "the incident page shows the publish and status messages literally")
    bodies = [u["body"] for i in json.loads(env.get("/api/v2/incidents.json")[1])["incidents"]
              for u in i["incident_updates"]]
    check(TPL_PUBLISH in bodies and TPL_STATUS in bodies, s,
          "incidents.json has them literally: %r" % bodies)
    check(wait_for(lambda: [e for e in env.hook.events()
                            if e["incident"]["message"] == TPL_STATUS], 30), s,
          "the webhook carries the status message literally")
    check(wait_for(lambda: (lambda i: i and TPL_STATUS in [u["body"] for u in
                                                          i["incident_updates"]])(
        env.sp_incident(2)), 40), s, "Statuspage gets the status message literally")


def scenario_markup():
    env = Env("markup", "3-markup", public=True)
    env.scenarios.add("4-templates")
    try:
        markup(env, "3-markup")
        env.scenario = "4-templates"  # what stop() reports under
        templates(env, "4-templates")
        env.stop()
    finally:
        env.close()




def main():
    os.environ["STATUSPAGE_API_KEY"] = SP_KEY
    os.environ["E2E_PRIVACY_WEBHOOK_SECRET"] = HOOK_SECRET
    return run_side_by_side("privacy_e2e", (
        ("1-breach", scenario_breach), ("2-published-notes", scenario_published),
        ("3-markup", scenario_markup)))


if __name__ == "__main__":
    sys.exit(main())
