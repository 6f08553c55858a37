#!/usr/bin/env python3
"""End-to-end: exactly once where Slack and Statuspage let us (issue 15, finding 5 and
deliverable 5), with the real incidentd, slackemu and statuspageemu.

Effects are written into the outbox directly, as the plan writes them. The emulators carry a
request out and then hold its answer (slackemu's fault mode "hold", statuspageemu's "hang" with
"commit"); incidentd is killed with SIGKILL while the answer is held, so the effect is left
"sending" with its outcome unknown, and started again:
  1. a channel message (chat.postMessage) appears once, found by its metadata;
  2. a thread reply (thread_ts) appears once, found with conversations.replies;
  3. a message whose first attempt surely failed (429) is posted, once;
  4. a Statuspage update appears once on the incident;
  5. after a Statuspage outage (503 with a long Retry-After), the queued updates drain from the
     first answered request on at the 1 request/s pacing, each once.

usage: once_e2e.py path/to/incidentd path/to/slackemu path/to/statuspageemu.py
"""
import json
import os
import signal
import sqlite3
import sys
import tempfile
import time

import statuspage_e2e as sp  # its emulator helpers; its argv is ours
from e2e_util import BOT_AUTH, call, db_rows, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
CHANNEL = "C0INCIDENTS"
CALL_TIMEOUT = 30  # longer than any hold below is waited for: the kill comes first
INTERVAL = 1.05    # DELIVERY_STATUSPAGE_INTERVAL_MS
PROBE = 30.0       # DELIVERY_STATUSPAGE_PROBE_MS
check = sp.check


def enqueue_post(db, key, args, incident_id=None):
    now = int(time.time() * 1000)
    with sqlite3.connect(db, timeout=10) as c:
        c.execute("INSERT INTO outbox (incident_id, kind, target, payload, idem_key,"
                  " next_attempt_at, created_at) VALUES (?, 'slack.call', 'slack', ?, ?, ?, ?)",
                  (incident_id, json.dumps({"method": "chat.postMessage", "args": args}), key,
                   now, now))


def row(db, key):
    r = db_rows(db, "SELECT id, state, attempts, result FROM outbox WHERE idem_key = ?", (key,))
    return r[0] if r else None


def messages(base, text):
    st = call(base, "/_emu/state")
    ch = [c for c in st["channels"] if c["id"] == CHANNEL][0]
    return [m for m in ch.get("messages", []) if m.get("text") == text and not m.get("deleted")]


def boot(tmp, base, log, extra):
    """incidentd started and connected. A start that fails at once (its listener's free port
    taken meanwhile by an outgoing connection) is tried again."""
    for n in range(3):
        bot = start_incidentd(INCIDENTD, tmp, base, "%s.%d" % (log, n) if n else log,
                              extra_config=extra, call_timeout=CALL_TIMEOUT)[0]
        up = wait_for(lambda: bot.poll() is not None or len(
            call(base, "/_emu/state")["connections"]) == 2, 20)
        if bot.poll() is None:
            check(up, "incidentd connected (%s)" % log)
            return bot
    check(False, "incidentd starts (%s)" % log)
    return bot


def restart(bot, tmp, base, log, extra):
    bot.send_signal(signal.SIGKILL)
    bot.wait()
    call(base, "/_emu/fault", {"clear": True})
    return boot(tmp, base, log, extra)


def killed_post(name, bot, tmp, base, db, extra, log, args):
    """chat.postMessage carried out, its answer held, incidentd killed: posted once after."""
    key = "once/" + name
    call(base, "/_emu/fault", {"method": "chat.postMessage", "mode": "hold", "next": 1,
                               "hold_ms": 60000})
    enqueue_post(db, key, args)
    check(wait_for(lambda: messages(base, args["text"]), 20), name + ": carried out")
    r = row(db, key)
    check(r and r[1] == "sending" and r[2] == 1,
          name + ": its outcome unknown when killed: %r" % (r,))
    bot = restart(bot, tmp, base, log, extra)
    r = wait_for(lambda: (lambda x: x if x and x[1] in ("done", "failed") else None)(
        row(db, key)), 30)
    check(r and r[1] == "done", name + ": done after the restart: %r" % (r,))
    time.sleep(1)
    ms = messages(base, args["text"])
    check(len(ms) == 1, name + ": posted once: %d" % len(ms))
    if r and ms:
        res = json.loads(r[3] or "{}")
        check(res.get("found") is True and res.get("ts") == ms[0]["ts"] and r[2] == 2,
              name + ": the earlier post adopted: %r" % (r,))
        md = ms[0].get("metadata") or {}
        check(md.get("event_type") == "incidentd_effect"
              and md.get("event_payload", {}).get("effect") == key
              and md.get("event_payload", {}).get("outbox_id") == r[0],
              name + ": the message names its effect: %r" % md)
    return bot, ms


def slack_scenarios(bot, tmp, base, db, extra):
    # 1. A channel message.
    bot, _ = killed_post("top", bot, tmp, base, db, extra, "bot2.log",
                         {"channel": CHANNEL, "text": "posted once, top level"})
    calls = call(base, "/_emu/state")["calls"]
    check(calls.get("conversations.history", 0) >= 1, "top: history read: %r" % calls)

    # 2. A reply in a thread (the announcement thread's case).
    parent = call(base + "/api", "/chat.postMessage",
                  {"channel": CHANNEL, "text": "a thread to reply in"}, BOT_AUTH)
    check(parent.get("ok"), "thread parent posted: %r" % parent)
    bot, ms = killed_post("thread", bot, tmp, base, db, extra, "bot3.log",
                          {"channel": CHANNEL, "text": "posted once, in a thread",
                           "thread_ts": parent.get("ts")})
    check(ms and ms[0].get("thread_ts") == parent.get("ts"), "thread: it is a reply")
    calls = call(base, "/_emu/state")["calls"]
    check(calls.get("conversations.replies", 0) >= 1, "thread: replies read: %r" % calls)

    # 3. A first attempt that surely did not post (429, and 429 again on the client's own quick
    #    retry): the next attempt looks, finds nothing, and posts, once.
    call(base, "/_emu/fault", {"method": "chat.postMessage", "mode": "429", "next": 2,
                               "retry_after": 1})
    enqueue_post(db, "once/429", {"channel": CHANNEL, "text": "posted once after a 429"})
    r = wait_for(lambda: (lambda x: x if x and x[1] == "done" else None)(row(db, "once/429")),
                 30)
    check(r and r[2] == 2 and "found" not in json.loads(r[3] or "{}"),
          "429: retried and posted: %r" % (r,))
    check(len(messages(base, "posted once after a 429")) == 1, "429: posted once")
    return bot


def sp_scenarios(bot, tmp, base, db, ctl, extra):
    # 4. A Statuspage update carried out, its answer lost to kill -9: shown once.
    sp.add_incident(db, 1, "one")
    sp.enqueue(db, 1, "sp/1/0", "statuspage.create",
               {"name": "Once one", "status": "investigating", "impact": "major",
                "body": "Investigating.", "components": ["API"]})
    check(wait_for(lambda: sp.all_done(db, ["sp/1/0"]), 30), "sp: created")
    sp.fault(ctl, mode="hang", commit=True, hang_ms=60000, count=1)
    sp.enqueue(db, 1, "sp/1/1", "statuspage.update",
               {"status": "identified", "body": "Found it, once.", "impact": "major"})

    def shown():
        incs = sp.tagged(sp.sp_state(ctl), 1)
        return incs and "Found it, once." in sp.update_bodies(incs[0])
    check(wait_for(shown, 30), "sp: update carried out (answer held)")
    r = row(db, "sp/1/1")
    check(r and r[1] == "sending", "sp: its outcome unknown when killed: %r" % (r,))
    bot.send_signal(signal.SIGKILL)
    bot.wait()
    sp.fault(ctl, mode="none")
    bot = boot(tmp, base, "bot5.log", extra)
    r = wait_for(lambda: sp.all_done(db, ["sp/1/1"]), 30)
    check(r and r[0][0] == "done", "sp: done after the restart: %r" % (r,))
    incs = sp.tagged(sp.sp_state(ctl), 1)
    bodies = sp.update_bodies(incs[0]) if incs else []
    check(bodies.count("Found it, once.") == 1, "sp: the update shown once: %r" % bodies)
    check(sp.update_statuses(incs[0]) == ["investigating", "identified"] if incs else False,
          "sp: statuses: %r" % (sp.update_statuses(incs[0]) if incs else None))
    patches = [q for q in sp.sp_state(ctl)["requests"] if q["method"] == "PATCH"
               and (q.get("body") or {}).get("incident", {}).get("body") == "Found it, once."]
    check(len(patches) == 1, "sp: one PATCH of it: %d" % len(patches))

    # 5. The catch-up after an outage: 6 incidents, 2 updates each, queued while Statuspage
    #    answers 503 with Retry-After: 120 (each failed effect then waits 2 minutes).
    ids = list(range(10, 16))
    for i in ids:
        sp.add_incident(db, i, "catch %d" % i)
        sp.enqueue(db, i, "cu/%d/0" % i, "statuspage.create",
                   {"name": "Catch-up %d" % i, "status": "investigating", "impact": "minor",
                    "body": "Investigating.", "components": ["API"]})
    check(wait_for(lambda: sp.all_done(db, ["cu/%d/0" % i for i in ids]), 60),
          "catch-up: created")
    sp.fault(ctl, mode="error", status=503, retry_after=120, count=-1)
    keys = []
    for i in ids:
        for n, st in enumerate(["identified", "monitoring"], 1):
            k = "cu/%d/%d" % (i, n)
            sp.enqueue(db, i, k, "statuspage.update",
                       {"status": st, "body": "Catch-up %d is %s." % (i, st), "impact": "minor"})
            keys.append(k)
    heads = ["cu/%d/1" % i for i in ids]

    def failed_once(k):
        r = row(db, k)
        return r and r[1] == "pending" and r[2] >= 1
    check(wait_for(lambda: all(failed_once(k) for k in heads), 30),
          "catch-up: every head tried and failed while down")
    t_back = time.time()
    sp.fault(ctl, mode="none")
    rows = wait_for(lambda: sp.all_done(db, keys), PROBE + 60)
    t_done = time.time()
    check(rows and all(r[0] == "done" for r in rows), "catch-up: all done: %r" % (rows,))
    reqs = [q for q in sp.sp_state(ctl)["requests"] if q["at"] >= t_back and not q.get("fault")]
    if check(reqs, "catch-up: requests after the outage"):
        t_first = reqs[0]["at"]
        n = len(reqs)
        check(t_first - t_back <= PROBE + 5,
              "catch-up: starts at the first answered request, %.1f s after the outage"
              % (t_first - t_back))
        bound = n * INTERVAL * 1.5 + 5
        check(t_done - t_first <= bound,
              "catch-up: %d requests in %.1f s after the first answer (bound %.1f s at the "
              "1/s pacing)" % (n, t_done - t_first, bound))
        check(n <= 2 * len(keys) + 2, "catch-up: at most a look and a PATCH each: %d" % n)
        print("catch-up: first answer %.1f s after the outage, %d requests in %.1f s"
              % (t_first - t_back, n, t_done - t_first))
    for i in ids:
        incs = sp.tagged(sp.sp_state(ctl), i)
        check(incs and sp.update_statuses(incs[0]) == ["investigating", "identified",
                                                      "monitoring"],
              "catch-up: incident %d updated once each, in order: %r"
              % (i, sp.update_statuses(incs[0]) if incs else None))
    st = sp.sp_state(ctl)
    check(st["rate_limited"] == 0, "never over 1 request/s: %d" % st["rate_limited"])
    check(st["schema_errors"] == [], "bodies valid: %r" % st["schema_errors"])
    return bot


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-once-")
    emu, base = start_slackemu(SLACKEMU, tmp)
    spemu, spbase, ctl = sp.start_spemu(tmp)
    db = os.path.join(tmp, "incidentd.db")
    os.environ["STATUSPAGE_API_KEY"] = sp.KEY
    extra = ('[statuspage.atlassian]\napi_base_url = "%s"\npage_id = "%s"\n'
             'components = ["API=%s"]\n' % (spbase, sp.PAGE, sp.API_ID))
    bot = None
    try:
        bot = boot(tmp, base, "bot.log", extra)
        bot = slack_scenarios(bot, tmp, base, db, extra)
        bot = sp_scenarios(bot, tmp, base, db, ctl, extra)
        bot.send_signal(signal.SIGTERM)
        check(bot.wait(timeout=30) == 0, "incidentd exits cleanly")
        bot = None
    finally:
        for p in (bot, emu, spemu):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    if sp.failures:
        for f in sorted(os.listdir(tmp)):
            if f.startswith("bot"):
                print("---", f, file=sys.stderr)
                print("".join(open(os.path.join(tmp, f)).readlines()[-40:]), file=sys.stderr)
        print("%d failed" % len(sp.failures))
        return 1
    print("once_e2e: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
