#!/usr/bin/env python3
"""Burst benchmark (issue 15): 100 declares at once, each followed by changes that refresh its
views, against the real incidentd and slackemu with Slack's rate limits on (tier 2, which
conversations.create is in: 20 a minute, a minute's worth in the bucket).

Reports: how long until every incident's channel has its pinned control message, beside the
minimum Slack's tiers allow for that many channels (the first 20 at once, then 20 a minute);
how many view effects (control message, topic, announcement) the changes asked for, how many
were performed, and how many of the performed edits changed nothing visible (redundant: the
message's text and blocks the same as its previous version). Not part of the test suite:
numbers go to docs/benchmarks.md.

usage: burst_bench.py INCIDENTD SLACKEMU [--count 100] [--changes 3]
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e_util import (call, emu_state, slash, start_incidentd, start_slackemu,  # noqa: E402
                      wait_for)

ALICE = "U0ALICE0001"  # slackemu's built-in workspace
GENERAL = "C0GENERAL01"
INCIDENTS = "C0INCIDENTS"
TIER2_BUCKET, TIER2_PER_MIN = 20, 20


def rows(db, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def redundant_edits(st):
    """Edits of the bot's messages whose text and blocks equal the version before them."""
    edits = same = 0
    for ch in st["channels"]:
        for m in ch.get("messages", []):
            versions = [h for h in (m.get("history") or [])] + [m]
            for a, b in zip(versions, versions[1:]):
                edits += 1
                if a.get("text") == b.get("text") and json.dumps(a.get("blocks"), sort_keys=True) \
                        == json.dumps(b.get("blocks"), sort_keys=True):
                    same += 1
    return edits, same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("incidentd")
    ap.add_argument("slackemu")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--changes", type=int, default=3,
                    help="severity changes per incident right after the declares")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="incidentd-burst-")
    db = os.path.join(tmp, "incidentd.db")
    emu, base = start_slackemu(a.slackemu, tmp)  # rate limits on (slackemu's default)
    bot, _ = start_incidentd(a.incidentd, tmp, base, "bot.log",
                             'announce_channel = "%s"\n' % INCIDENTS,
                             "")
    try:
        r = call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})
        if not r.get("ok"):
            raise SystemExit("incidentd did not connect")
        time.sleep(2)  # the directory sync at start
        t0 = time.time()
        for i in range(a.count):
            slash(base, ALICE, GENERAL, "declare Burst number %d --sev major --users 50" % (i + 1))
        if not wait_for(lambda: rows(db, "SELECT count(*) FROM incidents")[0][0] == a.count, 120):
            raise SystemExit("not every declare was decided")
        sevs = ["minor", "critical", "major"]
        for k in range(a.changes):
            for i in range(1, a.count + 1):
                slash(base, ALICE, GENERAL, "severity %s burst change %d INC-%d"
                      % (sevs[k % 3], k + 1, i))
        t_sent = time.time() - t0
        print("sent %d declares and %d changes in %.1f s" % (a.count, a.count * a.changes,
                                                             t_sent), flush=True)

        def all_controls():
            n = rows(db, "SELECT count(*) FROM incidents WHERE control_ts IS NOT NULL")[0][0]
            return n == a.count
        ok = wait_for(all_controls, 1800)
        t_controls = time.time() - t0
        if not ok:
            raise SystemExit("not every control message was posted in 30 min")
        # Everything drained: no effect pending or being sent.
        wait_for(lambda: rows(db, "SELECT count(*) FROM outbox WHERE state IN ('pending',"
                                  " 'sending')")[0][0] == 0, 1800)
        t_drained = time.time() - t0
        st = emu_state(base)
        pinned = sum(1 for ch in st["channels"]
                     if any(ch["id"] in (m.get("pinned_to") or []) for m in ch.get("messages", [])))
        views = rows(db, "SELECT kind, count(*), sum(refresh) FROM outbox WHERE kind LIKE "
                         "'incident.%' GROUP BY kind ORDER BY kind")
        changes = a.count * a.changes
        asked = a.count * (1 + a.changes)  # the setup's refresh, then one per change, per view
        edits, same = redundant_edits(st)
        minimum = max(0.0, (a.count - TIER2_BUCKET) * 60.0 / TIER2_PER_MIN)
        print("every control message posted after %.1f s (Slack's tier-2 minimum for %d "
              "channels: %.0f s); all effects done after %.1f s; channels with a pin: %d"
              % (t_controls, a.count, minimum, t_drained, pinned))
        print("view effects per kind (enqueued, of them refreshes), for %d decisions that "
              "each asked for one of every view (%d declares + %d changes):"
              % (asked, a.count, changes))
        for kind, n, refresh in views:
            print("  %-20s %5d  (%d refreshes)" % (kind, n, refresh or 0))
        print("edits of the bot's messages in Slack: %d, of them changing nothing visible: %d"
              % (edits, same))
        calls = st.get("calls", {})
        print("Web API calls: " + ", ".join("%s %d" % (k, calls[k]) for k in sorted(calls)
                                            if calls[k]))
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=30)
        except Exception:  # noqa: BLE001
            bot.kill()
        emu.kill()
        emu.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
