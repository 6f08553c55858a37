#!/usr/bin/env python3
"""End-to-end: a reminder that fell due while the bot was down is sent once at start.

An incident is declared (its channel set up), the bot is stopped, the incident's pending
"IRM unclaimed" reminder is moved into the past in the database (as if the bot had been
down when it fell due), and the bot is started: the reminder's message appears in the
channel once. A second restart does not send it again, and a kill -9 right after start
does not double it either (the reminder is marked done in the transaction that enqueues
its message).

usage: reminder_restart_e2e.py path/to/incidentd path/to/slackemu
"""
import os
import shutil
import signal
import sqlite3
import sys
import tempfile

from e2e_util import call, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
EXTRA = "[reminders]\nirm_unclaimed_minutes = 60\n"


def channel(base):
    for c in call(base, "/_emu/state")["channels"]:
        if c["name"].startswith("inc-") and not c.get("is_archived"):
            return c
    return None


def reminders_in_channel(base):
    c = channel(base)
    return [m for m in (c or {}).get("messages", []) if "has had no IRM" in m.get("text", "")]


def stop(bot):
    bot.send_signal(signal.SIGTERM)
    bot.wait(timeout=30)


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-reminder-")
    emu, base = start_slackemu(SLACKEMU, tmp, "--no-rate-limits")
    db = os.path.join(tmp, "incidentd.db")
    bot = None
    ok = False
    try:
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot1.log", "", EXTRA)
        assert call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"]
        call(base, "/_emu/slash", {"user_id": "U0ALICE0001", "channel_id": "C0GENERAL01",
                                   "text": "declare Queue stuck"})
        assert wait_for(lambda: (channel(base) or {}).get("pins") or
                        any(m.get("pinned_to") for m in (channel(base) or {}).get("messages", [])),
                        20), "the incident was not set up"
        stop(bot)
        bot = None
        with sqlite3.connect(db) as c:
            n = c.execute("UPDATE reminders SET due_at = due_at - 3600000 * 2 WHERE kind = "
                          "'irm_unclaimed' AND state = 'pending'").rowcount
        assert n == 1, "expected one pending irm_unclaimed reminder, found %d" % n
        assert not reminders_in_channel(base), "reminder sent before it was due"

        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot2.log", "", EXTRA)
        assert wait_for(lambda: reminders_in_channel(base), 20), "the due reminder was not sent"
        # Let delivery settle, then a hard kill and a normal restart: still exactly one.
        wait_for(lambda: False, 1.5)
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=10)
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot3.log", "", EXTRA)
        assert call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"]
        wait_for(lambda: len(reminders_in_channel(base)) > 1, 4)
        got = len(reminders_in_channel(base))
        assert got == 1, "the reminder was sent %d times" % got
        with sqlite3.connect(db) as c:
            pending = c.execute("SELECT count(*) FROM reminders WHERE kind = 'irm_unclaimed' AND "
                                "state = 'pending' AND due_at > ?",
                                (int(__import__('time').time() * 1000),)).fetchone()[0]
        assert pending == 1, "the next reminder was not scheduled (%d)" % pending
        print("reminder sent once across restarts")
        ok = True
    finally:
        if bot:
            bot.terminate()
            bot.wait(timeout=30)
        emu.terminate()
        emu.wait(timeout=10)
        if ok:
            shutil.rmtree(tmp)
        else:
            for name in ("bot1.log", "bot2.log", "bot3.log", "emu.log"):
                p = os.path.join(tmp, name)
                if os.path.exists(p):
                    print("---- %s (tail)" % name, file=sys.stderr)
                    print("".join(open(p).readlines()[-30:]), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
