#!/usr/bin/env python3
"""End-to-end: an incident's public life through Slack, the Atlassian mirror and the built-in
status page at once (issue 7's main scenario).

declare (with a component) -> /incident publish <message> -> the preview's Publish button ->
/incident status with public messages through a failed fix (issue 14): identified, monitoring,
back to identified, monitoring, resolved, `/incident reopen`, monitoring, resolved. At each step
the Statuspage emulator's incident (one, tagged, status and updates in order) and our own
/api/v2/summary.json and incidents.json are checked, and the component follows (degraded again
on the reopen); before the click nothing is public anywhere.

usage: publish_e2e.py path/to/incidentd path/to/slackemu
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from e2e_util import call, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
SPEMU = os.path.join(HERE, "..", "statuspageemu", "statuspageemu.py")
KEY, PAGE, API_ID = "e2e-publish-key-0123456789", "pg0e2epub0001", "cmp0api000001"
ALICE = "U0ALICE0001"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def start_spemu(tmp):
    p = subprocess.Popen([sys.executable, SPEMU, "--port", "0", "--quiet", "--key", KEY,
                          "--page-id", PAGE, "--component", API_ID + "=API"],
                         stdout=subprocess.PIPE,
                         stderr=open(os.path.join(tmp, "spemu.log"), "w"), text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("http://"):
        raise RuntimeError("statuspageemu did not print its address: %r" % line)
    return p, line, line[:-len("/v1")]


def sp_incidents(ctl):
    st = call(ctl, "/_emu/state")
    incs = st.get("incidents")
    if isinstance(incs, dict):
        incs = list(incs.values())
    return incs or []


MARKER = "NOTE-MARKER-93b1"


def get_text(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def postmortem(base, http, ctl, cid):
    """The public postmortem (issue 13): drafted from the public record only, published by the
    preview's click alone, and amended as a new dated event on the page, in the feeds and at
    Statuspage."""
    def pm_view(exclude=()):
        vs = [v for v in call(base, "/_emu/state")["views"]
              if v.get("callback_id") == "incident_postmortem" and v.get("user") == ALICE
              and v["status"] == "open" and v["id"] not in exclude]
        return vs[-1] if vs else None

    def field(view, block):
        for b in view.get("blocks") or []:
            if b.get("block_id") == block:
                return (b.get("element") or {}).get("initial_value") or ""
        return ""

    def submit(view, happened):
        return call(base, "/_emu/submit", {"view_id": view["id"], "user_id": ALICE, "values": {
            "pm_impact": {"pm_impact_input": field(view, "pm_impact")},
            "pm_happened": {"pm_happened_input": happened},
            "pm_done": {"pm_done_input": "We restored the previous certificate."},
            "pm_next": {"pm_next_input": "- Alert on certificate expiry\n- Test the rotation "
                                         "job <script>x</script>"}}})

    seen = set()

    def click_preview():
        eph = wait_for(lambda: [m for m in call(base, "/_emu/state")["ephemeral"]
                                if m["recipient"] == ALICE and m["ts"] not in seen
                                and "inc_pm_publish" in json.dumps(m.get("blocks"))], 15)
        if not check(eph, "a postmortem preview with its Publish button"):
            return
        seen.add(eph[-1]["ts"])
        c = call(base, "/_emu/click", {"user_id": ALICE, "message_ts": eph[-1]["ts"],
                                       "action_id": "inc_pm_publish"})
        check(c.get("ok"), "postmortem publish click delivered: %r" % c)

    def ours():
        incs = get_json(http + "/api/v2/incidents.json")["incidents"]
        return incs[0] if incs else {}

    def sp_pm():
        sp = sp_incidents(ctl)
        return (sp[0].get("postmortem_body") or "") if sp else ""

    def atom_ids():
        return re.findall(r"<id>(tag:[^<]*Incident/1[^<]*)</id>", get_text(http + "/history.atom"))

    call(base, "/_emu/slash", {"user_id": ALICE, "channel_id": cid, "text": "postmortem"})
    view = wait_for(pm_view, 20)
    if not check(view, "the postmortem form opens"):
        return
    drafted = json.dumps(view)
    check(MARKER not in drafted and "grafana" not in drafted, "no note in the draft")
    check("Payments work again" in field(view, "pm_happened") and
          field(view, "pm_happened").startswith("[["),
          "the draft: a placeholder, then the public updates: %r" % field(view, "pm_happened"))
    r = submit(view, "The card processor rejected requests after a certificate rotation.")
    check(r.get("ok"), "postmortem submitted: %r" % r)
    eph = wait_for(lambda: [m for m in call(base, "/_emu/state")["ephemeral"]
                            if "inc_pm_publish" in json.dumps(m.get("blocks"))], 15)
    check(eph and "postmortem_body" not in ours() and sp_pm() == "",
          "the submission alone publishes nothing")
    click_preview()
    got = wait_for(lambda: "certificate rotation" in (ours().get("postmortem_body") or ""), 20)
    if check(got, "our incidents.json carries the postmortem after the click"):
        inc = ours()
        check(inc["status"] == "postmortem" and inc["postmortem_published_at"] ==
              inc["postmortem_body_last_updated_at"], "published once: %r" % inc)
        check(all(u["status"] != "postmortem" for u in inc["incident_updates"]),
              "the postmortem is no update")
    check(wait_for(lambda: "certificate rotation" in sp_pm(), 30), "Statuspage got the postmortem")
    first_ids = wait_for(lambda: [i for i in atom_ids() if "/postmortem/" in i], 10) or []
    check(len(first_ids) == 1, "the feed's entry has a postmortem id: %r" % atom_ids())
    html = get_text(http + "/incidents/INC-1")
    check('<section class="pm" id="postmortem">' in html and "<li>Alert on certificate expiry"
          in html and "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
          and ", updated" not in html, "the page shows the postmortem, its Markdown rendered")

    # The amendment: the form holds the published text; a new, dated public event.
    call(base, "/_emu/slash", {"user_id": ALICE, "channel_id": cid, "text": "postmortem"})
    view = wait_for(lambda: pm_view((view["id"],)), 20)
    if not check(view, "the postmortem form opens again, to amend"):
        return
    check("certificate rotation" in field(view, "pm_happened"), "the form holds the published text")
    submit(view, "The card processor rejected requests after a certificate rotation. Amended: "
                 "the rotation job had no test.")
    click_preview()
    got = wait_for(lambda: "Amended:" in (ours().get("postmortem_body") or ""), 20)
    if check(got, "the amendment reaches incidents.json"):
        inc = ours()
        check(inc["postmortem_body_last_updated_at"] > inc["postmortem_published_at"],
              "a new time for the amendment, the first publication's kept: %r" % inc)
    html = get_text(http + "/incidents/INC-1")
    check(re.search(r"Postmortem published [^<]*, updated [A-Z][a-z]{2} \d\d, \d{4}", html),
          "the page says when it was published and updated")
    ids = [i for i in atom_ids() if "/postmortem/" in i]
    check(len(ids) == 1 and ids != first_ids, "the feed has a new entry for the amendment: %r -> %r"
          % (first_ids, ids))
    rss = get_text(http + "/history.rss")
    check("#postmortem-" in rss and "Amended:" in rss, "the RSS item is new too")
    check(wait_for(lambda: "Amended:" in sp_pm(), 30), "Statuspage got the amended postmortem")
    st = call(ctl, "/_emu/state")
    pubs = [q for q in st.get("requests", []) if q["method"] == "PUT" and
            q["path"].endswith("/postmortem/publish")]
    check(len(pubs) == 2, "Statuspage was asked to publish twice: %d" % len(pubs))
    everything = json.dumps(st) + json.dumps(ours()) + html + rss + get_text(http + "/history.atom")
    check(MARKER not in everything and "grafana" not in everything,
          "no internal note anywhere public")


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-publish-")
    emu, base = start_slackemu(SLACKEMU, tmp, "--no-rate-limits")
    spemu, spbase, ctl = start_spemu(tmp)
    os.environ["STATUSPAGE_API_KEY"] = KEY
    bot = None
    ok = False
    try:
        extra = ('[statuspage.atlassian]\napi_base_url = "%s"\npage_id = "%s"\n'
                 'components = ["API=%s"]\n[[statuspage.components]]\nname = "API"\n'
                 % (spbase, PAGE, API_ID))
        bot, http = start_incidentd(INCIDENTD, tmp, base, "bot.log", "", extra)
        assert call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"]

        def summary():
            return get_json(http + "/api/v2/summary.json")

        call(base, "/_emu/slash", {"user_id": ALICE, "channel_id": "C0GENERAL01",
                                   "text": "declare Payments <script>fail</script> "
                                           "--component API"})
        chan = wait_for(lambda: [c for c in call(base, "/_emu/state")["channels"]
                                 if c["name"].startswith("inc-") and "-1-" in c["name"]
                                 and not c.get("is_archived")], 20)
        assert chan, "no incident channel"
        cid = chan[0]["id"]
        check(summary()["incidents"] == [], "nothing public before publishing")

        call(base, "/_emu/slash", {"user_id": ALICE, "channel_id": cid,
                                   "text": "publish We are looking into failed payments"})
        eph = wait_for(lambda: [m for m in call(base, "/_emu/state")["ephemeral"]
                                if m["recipient"] == ALICE
                                and "inc_publish_confirm" in json.dumps(m.get("blocks"))], 15)
        assert eph, "no publish preview"
        check(summary()["incidents"] == [] and sp_incidents(ctl) == [],
              "the preview publishes nothing")
        c = call(base, "/_emu/click", {"user_id": ALICE, "message_ts": eph[0]["ts"],
                                       "action_id": "inc_publish_confirm"})
        check(c.get("ok"), "publish click delivered: %r" % c)

        def ours(status):
            incs = summary()["incidents"]
            return incs if incs and incs[0]["status"] == status else None

        got = wait_for(lambda: ours("investigating"), 20)
        if check(got, "our summary.json shows the published incident"):
            check(got[0]["name"] == "Payments <script>fail</script>", "name as typed in JSON")
            check(got[0]["impact"] == "major", "impact from severity: %r" % got[0]["impact"])
        sp = wait_for(lambda: sp_incidents(ctl), 30)
        check(sp and len(sp) == 1, "mirrored once to Statuspage: %r" % sp)

        # Internal notes, which must never reach the public postmortem or anything public.
        for note in ("note %s: db-7 on https://grafana.internal/d/pg, ask <@%s>" % (MARKER, ALICE),
                     "note %s rolled back by hand" % MARKER):
            call(base, "/_emu/slash", {"user_id": ALICE, "channel_id": cid, "text": note})
        def api_status():
            cs = [c for c in summary().get("components", []) if c.get("name") == "API"]
            return cs[0].get("status") if cs else None

        # A failed fix (issue 14): back to identified, and a resolve that did not hold.
        steps = (("status identified", "identified", "The card processor rejects requests"),
                 ("status monitoring", "monitoring", "A fix is deployed"),
                 ("status identified", "identified", "The fix did not work: errors are back"),
                 ("status monitoring", "monitoring", "A second fix is deployed"),
                 ("status resolved", "resolved", "Payments work"),
                 ("reopen", "identified", "Errors are back after the resolve"),
                 ("status monitoring", "monitoring", "A third fix is deployed"),
                 ("status resolved", "resolved", "Payments work again"))
        for n, (cmd, status, msg) in enumerate(steps):
            call(base, "/_emu/slash", {"user_id": ALICE, "channel_id": cid,
                                       "text": "%s %s" % (cmd, msg)})
            check(wait_for(lambda: ours(status) or (status == "resolved" and
                                                    summary()["incidents"] == []), 20),
                  "our page follows to %s (%s)" % (status, msg))
            check(wait_for(lambda: [i for i in sp_incidents(ctl) if i.get("status") == status
                                    and len(i.get("incident_updates", [])) == n + 2], 30),
                  "Statuspage follows to %s (%s)" % (status, msg))
            want = "operational" if status == "resolved" else "major_outage"
            check(wait_for(lambda: api_status() not in (None, "operational")
                           if want != "operational" else api_status() == "operational", 20),
                  "the API component follows %s: %r" % (status, api_status()))

        want = [(st, msg) for _, st, msg in reversed(steps)] + [
            ("investigating", "We are looking into failed payments")]
        incs = get_json(http + "/api/v2/incidents.json")["incidents"]
        if check(incs, "history lists the incident"):
            got = [(u["status"], u["body"]) for u in incs[0]["incident_updates"]]
            check(got[:len(want)] == want, "our public updates newest first: %r" % got)
        sp = sp_incidents(ctl)
        if check(len(sp) == 1, "still exactly one Statuspage incident: %d" % len(sp)):
            got = [(u["status"], u["body"]) for u in sp[0]["incident_updates"]]
            check(got == want, "Statuspage received every update in order: %r" % got)

        # The pinned control message shows the mirror's state.
        def control_says(text):
            for c in call(base, "/_emu/state")["channels"]:
                if c["id"] == cid:
                    return [m for m in c.get("messages", []) if m.get("pinned_to")
                            and text in json.dumps(m.get("blocks"))]
            return None
        check(wait_for(lambda: control_says("Status page mirror: synced"), 20),
              "the control message shows the mirror synced")

        postmortem(base, http, ctl, cid)

        # /metrics (internal listener): Prometheus text with the envelopes seen, their acks
        # and the outbox.
        with urllib.request.urlopen(http.internal + "/metrics", timeout=10) as r:
            metrics = {}
            for line in r.read().decode().splitlines():
                if line and not line.startswith("#"):
                    k, v = line.rsplit(" ", 1)
                    metrics[k] = float(v)
        check(metrics.get("incidentd_envelopes_total", 0) >= 6, "envelopes counted: %r"
              % metrics.get("incidentd_envelopes_total"))
        check(metrics.get("incidentd_ack_latency_seconds_count", 0) >= 6 and
              metrics.get('incidentd_ack_latency_seconds_bucket{le="+Inf"}') ==
              metrics.get("incidentd_ack_latency_seconds_count"), "ack latency histogram")
        check(metrics.get('incidentd_outbox{state="failed"}') == 0, "no effect given up")
        check('incidentd_incidents_open{severity="major"}' in metrics, "open incidents gauge")
        print("publish e2e: %s" % ("ok" if not failures else "%d failures" % len(failures)))
        ok = not failures
    finally:
        if bot:
            bot.terminate()
            bot.wait(timeout=30)
        spemu.terminate()
        spemu.wait(timeout=10)
        emu.terminate()
        emu.wait(timeout=10)
        if not ok:
            for name in ("bot.log", "emu.log", "spemu.log"):
                p = os.path.join(tmp, name)
                if os.path.exists(p):
                    print("---- %s (tail)" % name, file=sys.stderr)
                    print("".join(open(p).readlines()[-30:]), file=sys.stderr)
        else:
            shutil.rmtree(tmp)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
