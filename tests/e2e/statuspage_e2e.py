#!/usr/bin/env python3
"""End-to-end: the Atlassian Statuspage mirror (the "statuspage" delivery lane) of the real
incidentd against statuspageemu (and slackemu for the Slack side it also needs).

Effects are written into the outbox directly, as the plan writes them, so the lane is tested on
its own: an incident is created once (tagged in its metadata, its id saved in
incidents.statuspage_id), updated in order, its postmortem published, at most one request a
second and every body valid against the published API description (when ../shared has it); the
mirror down for a while then back delivers every update once and in order; 429 and 5xx are
retried, a 4xx given up; a kill -9 between the create request and its answer makes no duplicate.

usage: statuspage_e2e.py path/to/incidentd path/to/slackemu path/to/statuspageemu.py
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

from e2e_util import call, slash, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU, SPEMU = sys.argv[1], sys.argv[2], sys.argv[3]
KEY = "emukey0123456789abcdef"
PAGE = "emupage00001"
API_ID = "c0api0000001"
ALICE = "U0ALICE0001"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def shared_spec():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("INCIDENTD_SHARED_DIR") or os.path.join(here, "..", "..", "..",
                                                                    "shared")
    p = os.path.join(shared, "statuspage-samples", "statuspage-management-api-openapi.json")
    return p if os.path.exists(p) else None


def start_spemu(tmp):
    args = [sys.executable, SPEMU, "--port", "0", "--quiet", "--key", KEY, "--page-id", PAGE,
            "--component", API_ID + "=API"]
    spec = shared_spec()
    if spec:
        args += ["--spec", spec]
    p = subprocess.Popen(args, stdout=subprocess.PIPE,
                         stderr=open(os.path.join(tmp, "spemu.log"), "w"), text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("http://"):
        raise RuntimeError("statuspageemu did not print its address: %r" % line)
    return p, line, line[:-len("/v1")]


def sp_state(ctl):
    return call(ctl, "/_emu/state")


def fault(ctl, **f):
    call(ctl, "/_emu/fault", f)


def add_incident(db, iid, title, status="investigating", severity="major"):
    now = int(time.time() * 1000)
    with sqlite3.connect(db, timeout=10) as c:
        c.execute("INSERT OR IGNORE INTO components (name, position, status, updated_at)"
                  " VALUES ('API', 1, 'operational', ?)", (now,))
        c.execute("INSERT INTO incidents (id, title, severity, status, started_at, declared_at,"
                  " published, published_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                  (iid, title, severity, status, now, now + iid, now, now))
        c.execute("INSERT INTO incident_components (incident_id, component_id, impact)"
                  " SELECT ?, id, 'partial_outage' FROM components WHERE name = 'API'", (iid,))


def enqueue(db, iid, key, kind, payload):
    now = int(time.time() * 1000)
    with sqlite3.connect(db, timeout=10) as c:
        c.execute("INSERT INTO outbox (incident_id, kind, target, payload, idem_key,"
                  " next_attempt_at, created_at) VALUES (?, ?, 'statuspage', ?, ?, ?, ?)",
                  (iid, kind, json.dumps(payload), key, now, now))


def outcome(db, key):
    with sqlite3.connect(db, timeout=10) as c:
        row = c.execute("SELECT state, result, last_error, attempts FROM outbox WHERE idem_key = ?",
                        (key,)).fetchone()
    return row if row and row[0] in ("done", "failed") else None


def all_done(db, keys):
    rows = [outcome(db, k) for k in keys]
    return rows if all(rows) else None


def attempts(db, key):
    with sqlite3.connect(db, timeout=10) as c:
        r = c.execute("SELECT attempts FROM outbox WHERE idem_key = ?", (key,)).fetchone()
    return r[0] if r else 0


def set_status(db, iid, status):
    with sqlite3.connect(db, timeout=10) as c:
        c.execute("UPDATE incidents SET status = ? WHERE id = ?", (status, iid))


def component_status(ctl):
    return [c for c in sp_state(ctl)["components"] if c["id"] == API_ID][0]["status"]


def statuspage_id(db, iid):
    with sqlite3.connect(db, timeout=10) as c:
        return c.execute("SELECT statuspage_id FROM incidents WHERE id = ?", (iid,)).fetchone()[0]


def tagged(st, iid):
    return [i for i in st["incidents"]
            if i.get("metadata", {}).get("incidentd", {}).get("tag", "").startswith(
                "inc-%d-" % iid)]


def update_statuses(inc):
    return [u["status"] for u in reversed(inc["incident_updates"])]


def update_bodies(inc):
    return [u["body"] for u in reversed(inc["incident_updates"])]


def lifecycle(db, iid, prefix):
    """create, identified, monitoring, resolved, postmortem; the keys."""
    enqueue(db, iid, prefix + "/0", "statuspage.create",
            {"name": "Elevated API errors %d" % iid, "status": "investigating",
             "impact": "major", "body": "We are investigating.", "components": ["API", "Nope"]})
    keys = [prefix + "/0"]
    for n, st in enumerate(["identified", "monitoring", "resolved"], 1):
        enqueue(db, iid, "%s/%d" % (prefix, n), "statuspage.update",
                {"status": st, "body": "Now %s." % st, "impact": "major"})
        keys.append("%s/%d" % (prefix, n))
    enqueue(db, iid, prefix + "/pm", "statuspage.postmortem", {"body": "# What happened\nA bug."})
    keys.append(prefix + "/pm")
    set_status(db, iid, "resolved")  # as the plan does when it decides the resolve
    return keys


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def get_text(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode("utf-8", "replace")


def cancelled(base, http, ctl, db):
    """Declared, published, then cancelled through the real commands."""
    name = "Mistaken drill checkout"
    slash(base, ALICE, "C0GENERAL01", "declare %s --component API" % name)
    chan = wait_for(lambda: [c for c in call(base, "/_emu/state")["channels"]
                             if c["name"].startswith("inc-") and "drill" in c["name"]], 20)
    if not check(chan, "the drill's channel"):
        return
    cid = chan[0]["id"]
    iid = sqlite3.connect(db, timeout=10).execute(
        "SELECT id FROM incidents WHERE channel_id = ?", (cid,)).fetchone()[0]
    slash(base, ALICE, cid, "publish We are looking into failed payments")
    eph = wait_for(lambda: [m for m in call(base, "/_emu/state")["ephemeral"]
                            if m["recipient"] == ALICE
                            and "inc_publish_confirm" in json.dumps(m.get("blocks"))], 15)
    if not check(eph, "publish preview"):
        return
    c = call(base, "/_emu/click", {"user_id": ALICE, "message_ts": eph[-1]["ts"],
                                   "action_id": "inc_publish_confirm"})
    check(c.get("ok"), "publish click delivered: %r" % c)

    def on_page():
        return [i for i in get_json(http + "/api/v2/incidents.json")["incidents"]
                if i["name"] == name]
    check(wait_for(on_page, 20), "published on our page")
    check(wait_for(lambda: tagged(sp_state(ctl), iid), 30), "mirrored to Statuspage")
    check(wait_for(lambda: statuspage_id(db, iid), 20), "statuspage_id saved")
    check(wait_for(lambda: component_status(ctl) != "operational", 20),
          "its component degraded on Statuspage: %s" % component_status(ctl))

    slash(base, ALICE, cid, "cancel it was a drill, published by mistake")
    check(wait_for(lambda: not on_page(), 20), "gone from our incidents.json")
    check(name not in get_text(http + "/"), "gone from our page")
    check(wait_for(lambda: not tagged(sp_state(ctl), iid), 30), "deleted on Statuspage")
    check(wait_for(lambda: component_status(ctl) == "operational", 20),
          "its component restored on Statuspage: %s" % component_status(ctl))
    dels = [r for r in sp_state(ctl)["requests"] if r["method"] == "DELETE"]
    check(len(dels) == 1, "one DELETE: %r" % [(r["method"], r.get("path")) for r in dels])
    with sqlite3.connect(db, timeout=10) as c:
        row = c.execute("SELECT status, published, published_at, statuspage_id FROM incidents "
                        "WHERE id = ?", (iid,)).fetchone()
        why = c.execute("SELECT value FROM incident_attrs WHERE incident_id = ? AND "
                        "key = 'cancelled'", (iid,)).fetchone()
        fx = c.execute("SELECT state FROM outbox WHERE kind = 'statuspage.delete'").fetchall()
    check(row[0] == "closed" and row[1] == 0 and row[2] and row[3],
          "still in the database, closed and unpublished: %r" % (row,))
    check(why and why[0] == "it was a drill, published by mistake", "the why kept: %r" % (why,))
    check(fx == [("done",)], "statuspage.delete done: %r" % fx)
    def told():
        return [m for ch in call(base, "/_emu/state")["channels"] if ch["id"] == cid
                for m in ch.get("messages", []) if "cancelled INC-%d" % iid in m.get("text", "")]
    check(wait_for(told, 20), "the channel is told")


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-statuspage-")
    emu, base = start_slackemu(SLACKEMU, tmp)
    spemu, spbase, ctl = start_spemu(tmp)
    db = os.path.join(tmp, "incidentd.db")
    os.environ["STATUSPAGE_API_KEY"] = KEY
    extra = ('[statuspage.atlassian]\napi_base_url = "%s"\npage_id = "%s"\n'
             'components = ["API=%s"]\n' % (spbase, PAGE, API_ID))
    bot = None
    try:
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot.log", extra_config=extra)
        check(wait_for(lambda: os.path.exists(db) and len(call(base, "/_emu/state")["connections"])
                       == 2), "incidentd connected")

        # 1. The whole life of a published incident: created once, updated in order.
        add_incident(db, 1, "one")
        keys = lifecycle(db, 1, "t1")
        rows = wait_for(lambda: all_done(db, keys), timeout=60)
        check(rows and all(r[0] == "done" for r in rows), "lifecycle done: %r" % (rows,))
        st = sp_state(ctl)
        incs = tagged(st, 1)
        check(len(incs) == 1, "created once: %d" % len(incs))
        if incs:
            inc = incs[0]
            check(statuspage_id(db, 1) == inc["id"], "statuspage_id saved")
            check(update_statuses(inc) == ["investigating", "identified", "monitoring",
                                           "resolved"], "updates in order: %r"
                  % update_statuses(inc))
            check(inc["impact_override"] == "major", "impact_override from severity")
            check(inc["postmortem_body"] == "# What happened\nA bug."
                  and inc["postmortem_published_at"], "postmortem published")
            create = [r for r in st["requests"] if r["method"] == "POST"][0]
            check(create["body"]["incident"]["components"] == {API_ID: "partial_outage"}
                  and create["body"]["incident"]["component_ids"] == [API_ID],
                  "mapped components only, status from impact: %r" % create["body"])
        comp = [c for c in st["components"] if c["id"] == API_ID][0]
        check(comp["status"] == "operational", "component operational after resolve")
        check(st["rate_limited"] == 0, "never over 1 request/s: %d" % st["rate_limited"])
        check(st["schema_errors"] == [], "bodies valid: %r" % st["schema_errors"])
        ats = [r["at"] for r in st["requests"]]
        gaps = [b - a for a, b in zip(ats, ats[1:])]
        check(all(g >= 0.95 for g in gaps), "paced at 1/s: %r" % gaps)

        # 2. The mirror down for a while, then back: every update once and in order.
        fault(ctl, mode="down", count=-1)
        add_incident(db, 2, "two")
        keys = lifecycle(db, 2, "t2")
        check(wait_for(lambda: attempts(db, "t2/0") >= 3, timeout=40), "retried while down")
        check(not tagged(sp_state(ctl), 2), "nothing created while down")
        fault(ctl, mode="none")
        rows = wait_for(lambda: all_done(db, keys), timeout=90)
        check(rows and all(r[0] == "done" for r in rows), "delivered once back: %r" % (rows,))
        incs = tagged(sp_state(ctl), 2)
        check(len(incs) == 1, "created once after the outage: %d" % len(incs))
        if incs:
            check(update_statuses(incs[0]) == ["investigating", "identified", "monitoring",
                                               "resolved"]
                  and update_bodies(incs[0])[1:] == ["Now identified.", "Now monitoring.",
                                                     "Now resolved."],
                  "every update once, in order: %r" % update_bodies(incs[0]))

        # 3. 429 with Retry-After and a 503: retried; a 422: given up with the reason.
        fault(ctl, mode="ratelimit", status=429, retry_after=2, count=1)
        enqueue(db, 1, "t3/429", "statuspage.update", {"body": "after a 429"})
        r = wait_for(lambda: outcome(db, "t3/429"), timeout=30)
        check(r and r[0] == "done" and r[3] == 2, "429 retried: %r" % (r,))
        fault(ctl, mode="error", status=503, count=2)
        enqueue(db, 1, "t3/503", "statuspage.update", {"body": "after two 503s"})
        r = wait_for(lambda: outcome(db, "t3/503"), timeout=30)
        check(r and r[0] == "done" and r[3] == 3, "503 retried: %r" % (r,))
        fault(ctl, mode="error", status=422, count=1)
        enqueue(db, 1, "t3/422", "statuspage.update", {"body": "refused"})
        r = wait_for(lambda: outcome(db, "t3/422"), timeout=30)
        check(r and r[0] == "failed" and "422" in (r[2] or ""), "422 given up: %r" % (r,))
        bodies = update_bodies(tagged(sp_state(ctl), 1)[0])
        check(bodies.count("after a 429") == 1 and bodies.count("after two 503s") == 1
              and "refused" not in bodies, "retried updates once each: %r" % bodies)

        # 4. kill -9 between the create request and its answer: no duplicate.
        fault(ctl, mode="hang", commit=True, hang_ms=20000, count=1)
        add_incident(db, 3, "three")
        enqueue(db, 3, "t4/0", "statuspage.create",
                {"name": "Crash test", "status": "investigating", "impact": "minor",
                 "body": "Investigating.", "components": ["API"]})
        enqueue(db, 3, "t4/1", "statuspage.update",
                {"status": "identified", "body": "Found it.", "impact": "minor"})
        check(wait_for(lambda: tagged(sp_state(ctl), 3), timeout=30),
              "create carried out (answer pending)")
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        fault(ctl, mode="none")
        bot, http = start_incidentd(INCIDENTD, tmp, base, "bot2.log", extra_config=extra)
        rows = wait_for(lambda: all_done(db, ["t4/0", "t4/1"]), timeout=60)
        check(rows and all(r[0] == "done" for r in rows), "create and update done: %r" % (rows,))
        incs = tagged(sp_state(ctl), 3)
        check(len(incs) == 1, "no duplicate after kill -9: %d" % len(incs))
        if incs:
            check(statuspage_id(db, 3) == incs[0]["id"], "adopted the created incident")
            check(update_statuses(incs[0]) == ["investigating", "identified"],
                  "its update applied once: %r" % update_statuses(incs[0]))
        st = sp_state(ctl)
        check(st["schema_errors"] == [], "bodies valid: %r" % st["schema_errors"])

        # 5. Two incidents share a component: resolving one leaves it as the other gives it.
        for i in (1, 2, 3):
            set_status(db, i, "resolved")
        for i in (4, 5):
            add_incident(db, i, "shared %d" % i)
            enqueue(db, i, "t5/%d/0" % i, "statuspage.create",
                    {"name": "Shared %d" % i, "status": "investigating", "impact": "major",
                     "body": "Investigating.", "components": ["API"]})
        rows = wait_for(lambda: all_done(db, ["t5/4/0", "t5/5/0"]), timeout=30)
        check(rows and all(r[0] == "done" for r in rows), "both created: %r" % (rows,))
        check(component_status(ctl) == "partial_outage", "shared component degraded")
        set_status(db, 4, "resolved")
        enqueue(db, 4, "t5/4/1", "statuspage.update",
                {"status": "resolved", "body": "Fixed.", "impact": "major"})
        r = wait_for(lambda: outcome(db, "t5/4/1"), timeout=30)
        check(r and r[0] == "done", "first resolved: %r" % (r,))
        check(component_status(ctl) == "partial_outage",
              "still held by the other open incident: %s" % component_status(ctl))
        set_status(db, 5, "resolved")
        enqueue(db, 5, "t5/5/1", "statuspage.update",
                {"status": "resolved", "body": "Fixed too.", "impact": "major"})
        r = wait_for(lambda: outcome(db, "t5/5/1"), timeout=30)
        check(r and r[0] == "done", "second resolved: %r" % (r,))
        check(component_status(ctl) == "operational",
              "restored once nobody holds it: %s" % component_status(ctl))

        # 6. A published incident cancelled (issue 14): withdrawn from our page and deleted on
        #    Statuspage; the record keeps it.
        cancelled(base, http, ctl, db)

        bot.send_signal(signal.SIGTERM)
        check(bot.wait(timeout=30) == 0, "incidentd exits cleanly")
        bot = None
    finally:
        for p in (bot, emu, spemu):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    if failures:
        for f in (os.path.join(tmp, "bot.log"), os.path.join(tmp, "bot2.log")):
            if os.path.exists(f):
                print("---", f, file=sys.stderr)
                print("".join(open(f).readlines()[-60:]), file=sys.stderr)
        print("%d failed" % len(failures))
        return 1
    print("statuspage_e2e: all passed")
    return 0


def component_changed_after_publish():
    """A component changed after publish (page and Statuspage emulator follow): declared on API,
    published, `/incident component add Web` then `remove API`; our summary.json and the
    emulator's components and incident follow each change, API back to operational; then
    `/incident title --public` renames it on both. Its own bot, emulators and directory."""
    import urllib.request
    web_id, alice = "c0web0000001", "U0ALICE0001"
    tmp = tempfile.mkdtemp(prefix="incidentd-sp-component-")
    emu, base = start_slackemu(SLACKEMU, tmp, "--no-rate-limits")
    spemu, spbase, ctl = start_spemu(tmp)
    call(ctl, "/_emu/components", {web_id: "Web"})
    os.environ["STATUSPAGE_API_KEY"] = KEY
    extra = ('[statuspage.atlassian]\napi_base_url = "%s"\npage_id = "%s"\n'
             'components = ["API=%s", "Web=%s"]\n[[statuspage.components]]\nname = "API"\n'
             '[[statuspage.components]]\nname = "Web"\n' % (spbase, PAGE, API_ID, web_id))
    bot = None

    def page():
        with urllib.request.urlopen(http + "/api/v2/summary.json", timeout=10) as r:
            return {c["name"]: c["status"] for c in json.loads(r.read())["components"]}

    def sp():
        st = sp_state(ctl)
        incs = st.get("incidents")
        incs = list(incs.values()) if isinstance(incs, dict) else (incs or [])
        return ({c["id"]: c["status"] for c in st["components"]},
                incs[0].get("component_ids") if incs else None)

    def slash_in(channel, text):
        call(base, "/_emu/slash", {"user_id": alice, "channel_id": channel, "text": text})

    try:
        bot, http = start_incidentd(INCIDENTD, tmp, base, "bot.log", extra_config=extra)
        check(call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"],
              "component: incidentd connected")
        slash_in("C0GENERAL01", "declare Checkout errors --sev major --component Checkut")
        check(wait_for(lambda: [m for m in call(base, "/_emu/state")["interactions"]
                                if "Known components: `API`, `Web`" in json.dumps(m)], 15),
              "component: a typo is refused, listing the known ones")
        slash_in("C0GENERAL01", "declare Checkout errors --sev major --component API")
        chan = wait_for(lambda: [c for c in call(base, "/_emu/state")["channels"]
                                 if c["name"].startswith("inc-") and "-1-" in c["name"]], 20)
        if not check(chan, "component: the incident channel"):
            return
        cid = chan[0]["id"]
        slash_in(cid, "publish Checkout is failing")
        eph = wait_for(lambda: [m for m in call(base, "/_emu/state")["ephemeral"]
                                if "inc_publish_confirm" in json.dumps(m.get("blocks"))], 15)
        if not check(eph, "component: the publish preview"):
            return
        call(base, "/_emu/click", {"user_id": alice, "message_ts": eph[0]["ts"],
                                   "action_id": "inc_publish_confirm"})
        check(wait_for(lambda: page().get("API") == "partial_outage"
                       and sp()[1] == [API_ID], 30),
              "component: published on API: %r %r" % (page(), sp()))
        check(page().get("Web") == "operational", "component: Web untouched before")
        slash_in(cid, "component add Web")
        check(wait_for(lambda: page().get("Web") == "partial_outage", 15),
              "component: our page shows Web at once: %r" % page())
        check(wait_for(lambda: sp()[0].get(web_id) == "partial_outage"
                       and sp()[1] == [API_ID, web_id], 30),
              "component: Statuspage adds Web: %r" % (sp(),))
        slash_in(cid, "component remove API")
        check(wait_for(lambda: page().get("API") == "operational"
                       and page().get("Web") == "partial_outage", 15),
              "component: our page restores API: %r" % page())
        check(wait_for(lambda: sp()[0].get(API_ID) == "operational"
                       and sp()[1] == [web_id], 30),
              "component: Statuspage restores API: %r" % (sp(),))
        # The public title, set on purpose, reaches our page and the mirror.
        slash_in(cid, "title --public Some card payments fail")

        def names():
            with urllib.request.urlopen(http + "/api/v2/summary.json", timeout=10) as r:
                ours = [i["name"] for i in json.loads(r.read())["incidents"]]
            incs = sp_state(ctl).get("incidents")
            incs = list(incs.values()) if isinstance(incs, dict) else (incs or [])
            return ours, [i.get("name") for i in incs]
        check(wait_for(lambda: names() == (["Some card payments fail"],
                                           ["Some card payments fail"]), 30),
              "component: the public title follows: %r" % (names(),))
        st = sp_state(ctl)
        check(st["schema_errors"] == [], "component: bodies valid: %r" % st["schema_errors"])
    finally:
        for p in (bot, emu, spemu):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        if failures:
            f = os.path.join(tmp, "bot.log")
            if os.path.exists(f):
                print("--- component scenario", f, file=sys.stderr)
                print("".join(open(f).readlines()[-40:]), file=sys.stderr)


if __name__ == "__main__":
    component_changed_after_publish()
    sys.exit(main())
