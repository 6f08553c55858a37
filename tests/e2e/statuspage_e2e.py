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

from e2e_util import call, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU, SPEMU = sys.argv[1], sys.argv[2], sys.argv[3]
KEY = "emukey0123456789abcdef"
PAGE = "emupage00001"
API_ID = "c0api0000001"
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
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot2.log", extra_config=extra)
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


if __name__ == "__main__":
    sys.exit(main())
