#!/usr/bin/env python3
"""End-to-end: delivery of outbox effects by the real incidentd against slackemu.

Effects are written into the outbox table directly, as the worker writes them, so that
delivery is tested on its own: channel creation picks the first free name, takes over
a channel that an earlier attempt of its own created (an answer lost to a timeout or a
crash), never uses someone else's channel, gives up when every name is taken, and a
Web API call answered with a permanent error is given up with Slack's error recorded.

usage: delivery_e2e.py path/to/incidentd path/to/slackemu
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from e2e_util import BOT_ENV, call, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def enqueue(db, key, kind, payload):
    now = int(time.time() * 1000)
    with sqlite3.connect(db, timeout=5) as c:
        c.execute("INSERT INTO outbox (kind, target, payload, idem_key, next_attempt_at,"
                  " created_at) VALUES (?, 'slack', ?, ?, ?, ?)",
                  (kind, json.dumps(payload), key, now, now))


def outcome(db, key):
    with sqlite3.connect(db, timeout=5) as c:
        row = c.execute("SELECT state, result, last_error, attempts FROM outbox WHERE idem_key = ?",
                        (key,)).fetchone()
    return row if row and row[0] in ("done", "failed") else None


def channels(base):
    return {c["name"]: c for c in call(base, "/_emu/state")["channels"]}


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-delivery-")
    emu, base = start_slackemu(SLACKEMU, tmp)
    bot = None
    db = os.path.join(tmp, "incidentd.db")
    try:
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot.log")
        check(wait_for(lambda: len(call(base, "/_emu/state")["connections"]) == 2),
              "incidentd connected")

        # A free name: created, as asked (private).
        enqueue(db, "t/create-1", "slack.create_channel",
                {"names": ["inc-e2e-one", "inc-e2e-one-2"], "is_private": True})
        r = wait_for(lambda: outcome(db, "t/create-1"))
        ch = channels(base).get("inc-e2e-one")
        check(r and r[0] == "done" and ch and ch["is_private"]
              and json.loads(r[1])["channel"]["id"] == ch["id"],
              "a free name is created, private, and its answer recorded: %r" % (r,))

        # The channel exists already because an earlier attempt of ours created it and its
        # answer was lost: that channel is the answer, no second one is made.
        auth = {"Authorization": "Bearer " + BOT_ENV["SLACK_BOT_TOKEN"]}
        made = call(base, "/api/conversations.create", {"name": "inc-e2e-two"}, auth)
        check(made.get("ok"), "the bot's earlier channel exists: %r" % made)
        enqueue(db, "t/create-2", "slack.create_channel",
                {"names": ["inc-e2e-two", "inc-e2e-two-2"], "is_private": False})
        r = wait_for(lambda: outcome(db, "t/create-2"))
        names = channels(base)
        check(r and r[0] == "done" and json.loads(r[1])["channel"]["id"] == made["channel"]["id"]
              and "inc-e2e-two-2" not in names,
              "a channel our lost attempt created is taken over, not duplicated: %r" % (r,))

        # Someone else's channel of that name is never used: the next name is.
        enqueue(db, "t/create-3", "slack.create_channel",
                {"names": ["general", "general-2"], "is_private": False})
        r = wait_for(lambda: outcome(db, "t/create-3"))
        names = channels(base)
        check(r and r[0] == "done" and json.loads(r[1])["channel"]["name"] == "general-2"
              and "general-2" in names, "someone else's channel is skipped: %r" % (r,))

        # Every name taken by others: given up, saying so.
        enqueue(db, "t/create-4", "slack.create_channel",
                {"names": ["random"], "is_private": False})
        r = wait_for(lambda: outcome(db, "t/create-4"))
        check(r and r[0] == "failed" and "every name offered is taken" in (r[2] or ""),
              "all names taken is a permanent failure: %r" % (r,))

        # A permanent Slack error is given up after one attempt, with Slack's code.
        enqueue(db, "t/call-1", "slack.call",
                {"method": "conversations.setTopic",
                 "args": {"channel": "C0NOSUCHCHAN", "topic": "x"}})
        r = wait_for(lambda: outcome(db, "t/call-1"))
        check(r and r[0] == "failed" and "channel_not_found" in (r[2] or "") and r[3] == 1,
              "a request Slack refuses is given up at once: %r" % (r,))

        # A 500 is retried (durably, after a backoff) and then succeeds.
        call(base, "/_emu/fault", {"method": "conversations.setPurpose", "mode": "500", "next": 2})
        enqueue(db, "t/call-2", "slack.call",
                {"method": "conversations.setPurpose",
                 "args": {"channel": ch["id"] if ch else "C0NONE", "purpose": "e2e"}})
        r = wait_for(lambda: outcome(db, "t/call-2"), timeout=30)
        check(r and r[0] == "done" and r[3] == 3,
              "a 5xx is retried by the outbox and then done: %r" % (r,))

        bot.send_signal(signal.SIGTERM)
        check(bot.wait(timeout=10) == 0, "incidentd stopped cleanly")
        bot = None
    finally:
        for p in (bot, emu):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if failures:
            for name in ("bot.log", "emu.log"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    with open(path) as f:
                        sys.stderr.write("---- %s (tail)\n%s" % (name, "".join(f.readlines()[-30:])))
        subprocess.run(["rm", "-rf", tmp])
    print("%d failed" % len(failures))


if __name__ == "__main__":
    main()
    sys.exit(1 if failures else 0)
