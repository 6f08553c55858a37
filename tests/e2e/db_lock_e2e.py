#!/usr/bin/env python3
"""End-to-end: another process holds the database's write lock for 10 s (python's sqlite3,
`BEGIN EXCLUSIVE`) while envelopes arrive (issue 15, deliverable 3).

While the lock lasts the bot's loop must not wait on the database: /healthz and the status
page answer at once (each under 1 s; the bot's busy timeout is 5 s, so a loop blocked on
the lock shows), /healthz says the database is in trouble (not "ok"), and both Socket Mode
links stay up (the same two connections before, during and after). When the lock goes,
every envelope sent meanwhile is acked (late, Slack's 3 s are long gone) and processed once:
each declare makes exactly one incident, each envelope is one inbox row, done, and the
app_mention that slackemu sent again after its ack timeout (a new envelope id, the same
event id) is stored once. Then /healthz is ok again and /metrics counts the failed commits.

stop_drains: SIGTERM in the middle of a flood; the bot exits 0 (under ASan: no leak) and every
envelope slackemu saw acked is in the inbox.

usage: db_lock_e2e.py path/to/incidentd path/to/slackemu
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from e2e_util import (EMU_BOT_USER, call, check, db_rows, directory_synced, failures, log_tail,
                      slash, start_incidentd, start_slackemu, stop_bot, wait_for)

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
LOCK_SECONDS = 10
NAME = "db_lock"

LOCKER = r"""
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
print("released", flush=True)
"""


def get(url):
    """(status, body text, seconds) of a GET; an HTTP error status is returned, not raised."""
    t0 = time.time()
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode(), time.time() - t0
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), time.time() - t0


class Prober(threading.Thread):
    """Polls /healthz and the status page every 200 ms until stopped; keeps what it saw."""

    def __init__(self, bot_http):
        super().__init__(daemon=True)
        self.bot_http = bot_http
        self.stop = threading.Event()
        self.health = []  # (time, status, body)
        self.slowest = 0.0
        self.slowest_what = ""

    def run(self):
        while not self.stop.is_set():
            for url in (self.bot_http.internal + "/healthz", self.bot_http + "/"):
                st, body, dt = get(url)
                if dt > self.slowest:
                    self.slowest, self.slowest_what = dt, url
                if url.endswith("/healthz"):
                    self.health.append((time.time(), st, body))
            time.sleep(0.2)


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-dblock-")
    emu, base = start_slackemu(SLACKEMU, tmp, "--no-rate-limits", "--retry-delays-ms",
                               "0,60000,300000")
    db = os.path.join(tmp, "incidentd.db")
    bot = locker = prober = None
    try:
        bot, bot_http = start_incidentd(INCIDENTD, tmp, base, "bot.log")
        check(call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"], NAME,
              "two Socket Mode links")
        check(wait_for(lambda: directory_synced(db), 20), NAME, "directory synced")
        before = sorted(c["id"] for c in call(base, "/_emu/state")["connections"])

        prober = Prober(bot_http)
        prober.start()
        locker = subprocess.Popen([sys.executable, "-c", LOCKER, db, str(LOCK_SECONDS)],
                                  stdout=subprocess.PIPE, text=True)
        check(locker.stdout.readline().strip() == "locked", NAME, "the other process locked")
        t_locked = time.time()

        # Envelopes while it is locked: declares, helps and an app_mention, over ~6 s.
        sent, titles = [], []
        for i in range(8):
            title = "Locked database incident %d" % i
            titles.append(title)
            r = slash(base, "U0ALICE0001", "C0INCIDENTS", "declare " + title)
            sent.append(r["envelope_id"])
            sent.append(slash(base, "U0BOB000002", "C0INCIDENTS", "help")["envelope_id"])
            if i == 3:
                r = call(base, "/_emu/message", {"user_id": "U0CAROL0003",
                                                 "channel_id": "C0INCIDENTS",
                                                 "text": "<@%s> are we down?" % EMU_BOT_USER})
                check(r.get("ok"), NAME, "app_mention sent: %r" % r)
            time.sleep(0.7)
        in_lock = time.time() - t_locked
        acked_early = [a for a in call(base, "/_emu/acks")["acks"] if a["envelope_id"] in sent]
        check(in_lock < LOCK_SECONDS - 1 and not acked_early, NAME,
              "nothing acked while the database is locked (%d acked, %.1f s in)"
              % (len(acked_early), in_lock))

        check(locker.stdout.readline().strip() == "released", NAME, "the other process released")
        locker.wait(timeout=10)
        t_released = time.time()

        # Every envelope acked, every one stored once and processed.
        def all_acked():
            acked = {a["envelope_id"] for a in call(base, "/_emu/acks")["acks"]}
            return all(e in acked for e in sent)
        check(wait_for(all_acked, 30), NAME, "every envelope sent during the lock is acked")
        acks = call(base, "/_emu/acks")["acks"]
        mine = [a for a in acks if a["envelope_id"] in sent]
        check(len(mine) == len(sent), NAME, "each acked once (%d acks for %d envelopes)"
              % (len(mine), len(sent)))
        print("%d acks after the lock, all within %.2f s of the release"
              % (len(mine), time.time() - t_released))

        def processed():
            rows = db_rows(db, "SELECT state, count(*) FROM inbox WHERE envelope_id IN (%s)"
                           " GROUP BY state" % ",".join("?" * len(sent)), sent)
            return dict(rows).get("done") == len(sent) and len(rows) == 1
        check(wait_for(processed, 60), NAME, "every envelope processed (inbox states %r)"
              % db_rows(db, "SELECT state, count(*) FROM inbox GROUP BY state"))
        for t in titles:
            n = db_rows(db, "SELECT count(*) FROM incidents WHERE title = ?", (t,))[0][0]
            check(n == 1, NAME, "%r declared exactly once (%d)" % (t, n))
        mentions = db_rows(db, "SELECT count(*), count(DISTINCT event_id) FROM inbox"
                           " WHERE payload LIKE '%are we down?%'")[0]
        check(mentions == (1, 1), NAME, "the app_mention stored once, retries dropped (%r)"
              % (mentions,))
        retried = [a for a in acks if a.get("retry_attempt")]
        print("slackemu retried %d events_api envelopes; all acked and dropped" % len(retried))

        # The loop never waited: the links stayed, HTTP answered at once.
        after = sorted(c["id"] for c in call(base, "/_emu/state")["connections"])
        check(after == before, NAME, "the same links before and after (%r, %r)"
              % (before, after))
        check(prober.slowest < 1.0, NAME, "HTTP answered within 1 s during the lock (slowest"
              " %.2f s: %s)" % (prober.slowest, prober.slowest_what))
        during = [(st, body) for t, st, body in prober.health if t_locked + 1 < t < t_released]
        troubled = [(st, body) for st, body in during if '"status":"ok"' not in body]
        check(during and troubled, NAME, "/healthz shows the trouble during the lock (%d of %d"
              " answers not ok; e.g. %r)" % (len(troubled), len(during),
                                             troubled[-1] if troubled else during[-1:]))
        check(any('"database":"cannot commit"' in b and "locked" in b for _, b in troubled),
              NAME, "/healthz names the failing commit and why")
        check(wait_for(lambda: '"status":"ok"' in get(bot_http.internal + "/healthz")[1], 10),
              NAME, "/healthz ok again after the lock")
        metrics = get(bot_http.internal + "/metrics")[1]
        fails = [l for l in metrics.splitlines()
                 if l.startswith("incidentd_store_commit_failures_total ")]
        check(fails and float(fails[0].split()[1]) >= 1, NAME, "/metrics counts the failed"
              " commits (%r)" % fails)
        check("incidentd_store_last_commit_timestamp_seconds" in metrics, NAME,
              "/metrics has the last commit time")
    finally:
        if prober:
            prober.stop.set()
            prober.join(timeout=30)
        if locker and locker.poll() is None:
            locker.kill()
        if bot:
            stop_bot(bot, NAME)
        emu.terminate()
        emu.wait(timeout=10)
        if failures:
            print("---- bot.log (tail)\n" + log_tail(os.path.join(tmp, "bot.log"), 60),
                  file=sys.stderr)
            print("kept " + tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp)
    print("db_lock: %d failed" % len(failures))


def stop_drains():
    """SIGTERM in the middle of a flood: the bot stores what it queued, acks it, and exits 0
    (under ASan: without a leak); every envelope slackemu saw acked is in the inbox."""
    name = "stop_drains"
    tmp = tempfile.mkdtemp(prefix="incidentd-drain-")
    emu, base = start_slackemu(SLACKEMU, tmp, "--no-rate-limits")
    db = os.path.join(tmp, "incidentd.db")
    bot = None
    before = len(failures)
    try:
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot.log")
        check(call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"], name,
              "two Socket Mode links")
        check(wait_for(lambda: directory_synced(db), 20), name, "directory synced")
        call(base, "/_emu/flood", {"count": 3000, "rate": 1000, "type": "events_api"})
        time.sleep(1.5)
        bot.terminate()
        rc = bot.wait(timeout=30)
        check(rc == 0, name, "incidentd exits cleanly during a flood (%r)" % rc)
        acked = [a["envelope_id"] for a in call(base, "/_emu/acks")["acks"]]
        stored = {r[0] for r in db_rows(db, "SELECT envelope_id FROM inbox")}
        lost = [e for e in acked if e not in stored]
        check(acked and not lost, name, "every acked envelope is stored (%d acked, %d lost)"
              % (len(acked), len(lost)))
        print("%s: %d acked before the stop, all stored" % (name, len(acked)))
    finally:
        if bot and bot.poll() is None:
            bot.kill()
        emu.terminate()
        emu.wait(timeout=10)
        if len(failures) > before:
            print("---- %s bot.log (tail)\n%s" % (name, log_tail(os.path.join(tmp, "bot.log"), 40)),
                  file=sys.stderr)
            print("kept " + tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
    stop_drains()
    print("db_lock_e2e: %d failed in all" % len(failures))
    sys.exit(1 if failures else 0)
