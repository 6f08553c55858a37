#!/usr/bin/env python3
"""End-to-end: the real incidentd binary against the real slackemu on loopback.

Proves the Slack path of issue 4: Socket Mode links come up, a slash command is
stored then acked, the worker answers `/incident help` through the response_url,
user text is escaped, a Slack retry of the same event is acked and dropped, and
an envelope acked but not processed before a crash is processed after a restart.

usage: slack_e2e.py path/to/incidentd path/to/slackemu
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
bot_http = None


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def start_bot(tmp, emu_base, log_name):
    global bot_http
    proc, bot_http = start_incidentd(INCIDENTD, tmp, emu_base, log_name)
    return proc


def ephemerals(base, user):
    return [m for m in call(base, "/_emu/state")["ephemeral"] if m.get("recipient") == user]


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-e2e-")
    # Slack redelivers an event no link could take after 0 s, 1 min and 5 min; the test
    # shortens that so that events sent while every link was being refreshed come back soon.
    emu, base = start_slackemu(SLACKEMU, tmp, "--retry-delays-ms", "0,2000,5000")
    bot = None
    try:
        bot = start_bot(tmp, base, "bot1.log")
        check(wait_for(lambda: call(base, "/_emu/state")["connections"]
                       and len(call(base, "/_emu/state")["connections"]) == 2),
              "incidentd opened 2 Socket Mode links")
        health = wait_for(lambda: (lambda h: h if h["slack_links"] == 2 else None)(
            call(bot_http.internal, "/healthz")))
        check(health and health["slack"] == "connected" and health["database"] == "ok",
              "/healthz shows the links and the database: %r" % health)

        # /incident help: acked with an empty ack, answered ephemerally via response_url.
        r = call(base, "/_emu/slash", {"user_id": "U0ALICE0001", "channel_id": "C0GENERAL01",
                                       "command": "/incident", "text": "help"})
        check(r.get("ok"), "slash delivered: %r" % r)
        acks = wait_for(lambda: [a for a in call(base, "/_emu/acks")["acks"]
                                 if a["envelope_id"] == r["envelope_id"]])
        check(acks and acks[0]["payload"] is None and not acks[0]["late"],
              "slash command acked in time without payload: %r" % acks)
        eph = wait_for(lambda: ephemerals(base, "U0ALICE0001"))
        check(eph and "`/incident help [command]`" in eph[0]["text"]
              and eph[0]["channel"] == "C0GENERAL01", "help answered ephemerally: %r" % eph)

        # A mistake is answered too, with the user's text shown, pinging nobody.
        call(base, "/_emu/slash", {"user_id": "U0BOB000002", "channel_id": "C0GENERAL01",
                                   "command": "/incident", "text": "<!channel> now"})
        eph = wait_for(lambda: ephemerals(base, "U0BOB000002"))
        check(eph and "Unknown command `@channel`" in eph[0]["text"]
              and "<!channel>" not in eph[0]["text"], "unknown command escaped: %r" % eph)

        # Slack's retry of one event (same event_id, new envelope): both acked, stored once.
        ev = {"type": "event_callback", "event_id": "Ev0E2EDUP01", "team_id": "T0EMU0ACME1",
              "event_time": 1700000000,
              "event": {"type": "app_mention", "user": "U0ALICE0001", "text": "hi",
                        "channel": "C0GENERAL01", "ts": "1700000000.000100"}}
        ids = [call(base, "/_emu/envelope", {"type": "events_api", "payload": ev})["envelope_id"]
               for _ in range(2)]
        check(wait_for(lambda: len([a for a in call(base, "/_emu/acks")["acks"]
                                    if a["envelope_id"] in ids]) == 2),
              "both deliveries of a retried event were acked")

        # Delivery hangs on a reply (Slack slow or down): acks keep flowing, the worker keeps
        # processing, and the replies go out once the call times out and is retried.
        r = call(base, "/_emu/fault", {"method": "response_url", "mode": "hang", "next": 1})
        check(r.get("ok"), "hang fault set: %r" % r)
        first = call(base, "/_emu/slash", {"user_id": "U0FRANK0006", "channel_id": "C0GENERAL01",
                                           "command": "/incident", "text": "help"})
        time.sleep(0.3)
        later = [call(base, "/_emu/slash", {"user_id": "U0ERIN00005", "channel_id": "C0GENERAL01",
                                            "command": "/incident", "text": "help"})["envelope_id"]
                 for _ in range(5)]
        acks = wait_for(lambda: (lambda a: a if len(a) == 5 else None)(
            [a for a in call(base, "/_emu/acks")["acks"] if a["envelope_id"] in later]))
        check(acks and all(not a["late"] and a["latency_us"] < 1000000 for a in acks),
              "acks unaffected while the worker hangs: %r" % acks)
        check(not ephemerals(base, "U0ERIN00005"), "the later replies wait behind the hang")
        dbpath = os.path.join(tmp, "incidentd.db")

        def later_processed():
            with sqlite3.connect(dbpath, timeout=5) as c:
                return c.execute("SELECT count(*) FROM inbox WHERE state = 'done' AND "
                                 "envelope_id IN (%s)" % ",".join("?" * len(later)),
                                 later).fetchone()[0] == 5
        check(wait_for(later_processed, timeout=1.5),
              "the worker went on processing while delivery hung")
        eph = wait_for(lambda: len(ephemerals(base, "U0ERIN00005")) == 5, timeout=60)
        check(eph and ephemerals(base, "U0FRANK0006"),
              "after the timeout every command was answered")

        # An abrupt drop of every link: reconnected, and commands are answered again.
        call(base, "/_emu/drop_websockets", {})
        check(wait_for(lambda: len(call(base, "/_emu/state")["connections"]) == 2),
              "links re-opened after an abrupt drop")
        call(base, "/_emu/slash", {"user_id": "U0DAVE00004", "channel_id": "C0GENERAL01",
                                   "command": "/incident", "text": "help"})
        check(wait_for(lambda: ephemerals(base, "U0DAVE00004")), "answered after the reconnect")

        # refresh_requested in the middle of a stream of 1,000 envelopes: each processed once.
        r = call(base, "/_emu/flood", {"count": 1000, "rate": 250, "type": "events_api"})
        check(r.get("ok"), "flood started: %r" % r)
        time.sleep(1.5)
        r = call(base, "/_emu/disconnect", {"reason": "refresh_requested"})
        check(r.get("ok"), "refresh_requested sent: %r" % r)
        dbpath = os.path.join(tmp, "incidentd.db")

        def flood_done():
            with sqlite3.connect(dbpath, timeout=5) as c:
                return c.execute("SELECT count(*) FROM inbox WHERE event_id LIKE 'Ev0FL%' AND "
                                 "state = 'done'").fetchone()[0] == 1000
        check(wait_for(flood_done, timeout=60), "all 1,000 streamed envelopes processed; "
              "slackemu says %r" % call(base, "/_emu/state")["envelopes"])
        with sqlite3.connect(dbpath, timeout=5) as c:
            rows = c.execute("SELECT count(*), count(DISTINCT event_id), max(attempts) FROM inbox "
                             "WHERE event_id LIKE 'Ev0FL%'").fetchone()
        check(rows == (1000, 1000, 1), "each streamed envelope stored and processed once: %r"
              % (rows,))

        bot.send_signal(signal.SIGTERM)
        check(bot.wait(timeout=10) == 0, "incidentd stopped cleanly on SIGTERM")
        bot = None
        db = sqlite3.connect(os.path.join(tmp, "incidentd.db"))
        n = db.execute("SELECT count(*) FROM inbox WHERE event_id = 'Ev0E2EDUP01'").fetchone()[0]
        check(n == 1, "a retried event is stored once, found %d" % n)

        # A crash after the ack, before processing: the row stays 'processing'. Simulate it
        # with a slash command delivered while no bot runs, stored as the loop would have.
        r = call(base, "/_emu/slash", {"user_id": "U0CAROL0003", "channel_id": "C0GENERAL01",
                                       "command": "/incident", "text": "help help"})
        payload = {"token": "x", "team_id": "T0EMU0ACME1", "channel_id": "C0GENERAL01",
                   "user_id": "U0CAROL0003", "command": "/incident", "text": "help help",
                   "response_url": r["response_url"], "trigger_id": r["trigger_id"]}
        db.execute("INSERT INTO inbox (envelope_id, type, payload, received_at, state, attempts)"
                   " VALUES (?, 'slash_commands', ?, ?, 'processing', 1)",
                   ("crash-" + r["envelope_id"], json.dumps(payload), int(time.time() * 1000)))
        db.commit()
        db.close()
        bot = start_bot(tmp, base, "bot2.log")
        eph = wait_for(lambda: ephemerals(base, "U0CAROL0003"))
        check(eph and eph[0]["text"].startswith("`/incident help [command]`"),
              "envelope left by a crash was processed after restart: %r" % eph)
        bot.send_signal(signal.SIGTERM)
        check(bot.wait(timeout=10) == 0, "second run stopped cleanly")
        bot = None
        # kill -9 in the middle of a flood. Every envelope Slack saw acked must be in the
        # database, and after a restart processed, once.
        acked_before = {a["envelope_id"] for a in call(base, "/_emu/acks")["acks"]}
        bot = start_bot(tmp, base, "bot3.log")
        check(wait_for(lambda: len(call(base, "/_emu/state")["connections"]) == 2),
              "third run connected")
        # As fast as slackemu floods, so that the worker (which batches) falls behind.
        r = call(base, "/_emu/flood", {"count": 6000, "rate": 20000, "type": "slash_commands"})
        check(r.get("ok"), "slash flood started: %r" % r)
        check(wait_for(lambda: len(call(base, "/_emu/acks")["acks"]) >= len(acked_before) + 1000,
                       timeout=30), "1,000 flood envelopes acked")
        bot.kill()
        bot.wait()
        bot = None
        acked = {a["envelope_id"] for a in call(base, "/_emu/acks")["acks"]} - acked_before
        with sqlite3.connect(dbpath, timeout=5) as c:
            backlog = c.execute("SELECT count(*) FROM inbox WHERE state IN "
                                "('pending', 'processing')").fetchone()[0]
        # The worker batches and usually keeps up, so the kill may or may not catch a backlog;
        # "acked, then killed before processing" is also forced, deterministically, above.
        print("kill -9 left %d acked envelopes unprocessed" % backlog)
        bot = start_bot(tmp, base, "bot4.log")
        check(wait_for(lambda: len(call(base, "/_emu/state")["connections"]) == 2),
              "fourth run connected")

        def drained():
            with sqlite3.connect(dbpath, timeout=5) as c:
                return c.execute("SELECT count(*) FROM inbox WHERE state IN "
                                 "('pending', 'processing')").fetchone()[0] == 0
        check(wait_for(drained, timeout=120), "the backlog was processed after the restart")
        bot.send_signal(signal.SIGTERM)
        check(bot.wait(timeout=10) == 0, "fourth run stopped cleanly")
        bot = None
        with sqlite3.connect(dbpath, timeout=5) as c:
            rows = dict(c.execute("SELECT envelope_id, attempts FROM inbox WHERE state IN "
                                  "('done', 'failed')").fetchall())
        missing = [e for e in acked if e not in rows]
        check(not missing, "every acked envelope was stored: %d of %d missing"
              % (len(missing), len(acked)))
        # Only the batch the worker had claimed when killed (at most WORKER_BATCH = 64 rows,
        # claimed in one transaction, decided in another) may be claimed a second time; its
        # decisions and their done marks commit together, so none is decided twice.
        twice = [e for e in acked if rows.get(e, 0) > 1]
        check(len(twice) <= 64, "claimed twice only the batch in flight: %d" % len(twice))

        # Socket Mode switched off for the app: the bot stops with exit status 1 and says why,
        # instead of reconnecting forever.
        bot = start_bot(tmp, base, "bot5.log")
        check(wait_for(lambda: len(call(base, "/_emu/state")["connections"]) == 2),
              "fifth run connected")
        call(base, "/_emu/disconnect", {"reason": "link_disabled"})
        try:
            rc = bot.wait(timeout=30)
        except subprocess.TimeoutExpired:
            rc = None
        bot = None
        with open(os.path.join(tmp, "bot5.log")) as f:
            log5 = f.read()
        check(rc == 1 and "link_disabled" in log5 and "Slack connection stopped" in log5,
              "link_disabled stops the bot with exit 1 and a reason (exit %r)" % rc)

        for name in ("bot1.log", "bot2.log", "bot3.log", "bot4.log", "bot5.log"):
            with open(os.path.join(tmp, name)) as f:
                text = f.read()
            check(all(t.split("-")[-1] not in text for t in BOT_ENV.values()),
                  "%s never shows a token" % name)
    finally:
        for p in (bot, emu):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if failures:
            for name in ("bot1.log", "bot2.log", "bot3.log", "bot4.log", "bot5.log", "emu.log"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    with open(path) as f:
                        sys.stderr.write("---- %s (tail)\n%s" % (name, "".join(f.readlines()[-30:])))
        subprocess.run(["rm", "-rf", tmp])
    print("%d failed" % len(failures))


if __name__ == "__main__":
    main()
    sys.exit(1 if failures else 0)
