#!/usr/bin/env python3
"""End-to-end: the public HTTP listener under abuse (issue 15), the real incidentd over real
sockets against slackemu. Four bots side by side, one per scenario:

- flood: incidentd under `prlimit --nofile=1024`; 1,500 held connections from 30 loopback
  addresses (idle ones, half-sent WebSocket upgrades, complete upgrades) while 20
  `/incident help` arrive through slackemu: every upgrade gets a plain 400, never a 101;
  /healthz answers all along and the page answers from another address (or is refused at
  once, never hangs); every command is acked in time and processed once; after the flood the
  page answers; the log stays small and says "(repeated N times ...)". Then the process's
  open-file limit is lowered below what it uses (`prlimit --pid`), so that accept() itself
  fails with EMFILE while connections wait: the loop pauses its listeners instead of
  spinning (CPU time checked), and serves again once the limit is back.
- timeouts: half-sent headers, a silent connection and an idle keep-alive connection are
  closed after [http] header_timeout_seconds / idle_timeout_seconds, not before.
- caps: [http] max_connections_per_address and max_connections: one more connection is
  closed at once, other addresses are served, a freed slot is usable again.
- locked: another process holds the database's write lock (BEGIN EXCLUSIVE) for 10 s while
  envelopes arrive: the page keeps answering at once (it reads on a connection of its own
  that never waits for a lock, from its cache when the store is busy), and every envelope is
  processed once after.

usage: http_hardening_e2e.py path/to/incidentd path/to/slackemu
"""
import os
import resource
import selectors
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from e2e_util import (bot_idle, call, check, db_rows, run_side_by_side, start_incidentd,
                      start_slackemu, wait_for)

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
UPGRADE = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")


class Bot:
    """A bot and its slackemu in a temporary directory of their own."""

    def __init__(self, name, http_extra="", prefix=()):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="incidentd-hh-%s-" % name)
        self.emu, self.base = start_slackemu(SLACKEMU, self.tmp)
        for _ in range(3):  # a free port taken by another test in between: pick others
            self.proc, self.http = start_incidentd(INCIDENTD, self.tmp, self.base, "bot.log",
                                                   http_config_extra=http_extra, prefix=prefix)
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                break
        self.port = int(self.http.rsplit(":", 1)[1])
        self.internal = int(self.http.internal.rsplit(":", 1)[1])
        self.db = os.path.join(self.tmp, "incidentd.db")
        self.log = os.path.join(self.tmp, "bot.log")
        ok = wait_for(lambda: (self.healthz() or {}).get("slack_links") == 2, 20)
        check(ok, name, "bot up with its two links")

    def healthz(self):
        try:
            return call(self.http.internal, "/healthz")
        except OSError:
            return None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.emu.kill()
        self.emu.wait()


def get(port, path="/api/v2/status.json", src="127.0.0.1", timeout=5.0, method="GET"):
    """(status or None, seconds): one request on a fresh connection from address src; None
    when the server closed or reset the connection without an answer."""
    t0 = time.time()
    data = b""
    s = socket.socket()
    try:
        s.settimeout(timeout)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                  % (method.encode(), path.encode()))
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except OSError:  # reset, refused or timed out: what came so far is the answer
        pass
    finally:
        s.close()
    try:
        return int(data.split(b" ", 2)[1]), time.time() - t0
    except (IndexError, ValueError):
        return None, time.time() - t0


def closed_after(sock, limit):
    """Seconds until the peer closed sock (reading and dropping what it sends); None when it
    stayed open for limit seconds."""
    t0 = time.time()
    sock.settimeout(0.2)
    while time.time() - t0 < limit:
        try:
            if not sock.recv(65536):
                return time.time() - t0
        except socket.timeout:
            continue
        except ConnectionError:
            return time.time() - t0
    return None


def held(port, src, send=b""):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    if send:
        s.sendall(send)
    return s


def acked(bot):
    return call(bot.base, "/_emu/stats")["acked"]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


# ---- flood -----------------------------------------------------------------------------

def flood():
    sc = "flood"
    bot = Bot(sc, 'header_timeout_seconds = 20\n', prefix=["prlimit", "--nofile=1024", "--"])
    socks, answers = [], []
    try:
        check(get(bot.port)[0] == 200, sc, "page answers before the flood")
        # 20 slash commands during the flood, from a thread of their own.
        sent = []

        def commands():
            for i in range(20):
                try:
                    sent.append(call(bot.base, "/_emu/slash", {
                        "user_id": "U0ALICE0001", "channel_id": "C0GENERAL01",
                        "command": "/incident", "text": "help"})["envelope_id"])
                except OSError as e:
                    check(False, sc, "slash %d not delivered: %s" % (i, e))
                time.sleep(0.25)
        # 1,500 connections from 30 addresses, 50 each (under the per-address cap): a third
        # send nothing, a third half an upgrade request, a third a complete one.
        sel = selectors.DefaultSelector()
        for i in range(1500):
            src = "127.0.1.%d" % (10 + i % 30)
            try:
                s = held(bot.port, src, [b"", UPGRADE, UPGRADE + b"\r\n"][i % 3])
            except OSError:
                continue
            s.setblocking(False)
            socks.append(s)
            sel.register(s, selectors.EVENT_READ, i % 3)
        t = threading.Thread(target=commands)
        t.start()
        slow_health = slow_page = 0
        page_ok = 0
        t_end = time.time() + 8
        buf = {}
        while time.time() < t_end:
            for key, _ in sel.select(timeout=0.1):
                try:
                    d = key.fileobj.recv(4096)
                except OSError:
                    d = b""
                buf[key.fileobj] = buf.get(key.fileobj, b"") + d
                if not d:
                    sel.unregister(key.fileobj)
            h0 = time.time()
            check(bot.healthz() is not None, sc, "/healthz answers during the flood")
            slow_health += time.time() - h0 > 2
            st, secs = get(bot.port, src="127.0.0.2", timeout=3)
            slow_page += secs > 2
            page_ok += st == 200
        t.join()
        answers = list(buf.values())
        check(not any(b"101" in a.split(b"\r\n", 1)[0] for a in answers), sc,
              "no upgrade answered 101")
        check(sum(a.startswith(b"HTTP/1.") and b" 400 " in a.split(b"\r\n", 1)[0]
                  for a in answers) > 0, sc, "complete upgrades answered 400")
        check(slow_health == 0, sc, "/healthz never took over 2 s (%d did)" % slow_health)
        check(slow_page == 0, sc, "the page answered or refused at once (%d hung)" % slow_page)
        fds = open_fds(bot.proc.pid)
        check(fds <= 1024 - 32, sc, "bot kept its descriptor reserve: %d open" % fds)
        for s in socks:
            s.close()
        socks = []
        check(wait_for(lambda: get(bot.port, src="127.0.0.2")[0] == 200, 10), sc,
              "page answers after the flood")
        check(wait_for(lambda: len(sent) == 20 and acked(bot) >= 20 and bot_idle(bot.db), 60),
              sc, "every command acked and processed")
        stats = call(bot.base, "/_emu/stats")
        check(stats["acked"] == stats["sent"] and stats["timed_out"] == 0
              and stats["late_acks"] == 0, sc, "every envelope acked in time: %r"
              % {k: stats.get(k) for k in ("sent", "acked", "timed_out", "late_acks")})
        n = db_rows(bot.db, "SELECT count(*) FROM inbox")[0][0]
        check(n == len(sent), sc, "each command stored once: %d rows for %d" % (n, len(sent)))

        # accept() itself failing: the limit below what the process already uses.
        used = open_fds(bot.proc.pid)
        subprocess.run(["prlimit", "--pid", str(bot.proc.pid), "--nofile=%d:1024" % (used + 2)],
                       check=True)
        waiting = []
        for i in range(200):
            try:
                waiting.append(held(bot.port, "127.0.2.%d" % (1 + i % 100)))
            except OSError:
                break
        time.sleep(1)
        c0, t0 = cpu_seconds(bot.proc.pid), time.time()
        time.sleep(4)
        cpu = (cpu_seconds(bot.proc.pid) - c0) / (time.time() - t0)
        check(cpu < 0.3, sc, "no spin while accept() fails: %.0f %% of a core" % (cpu * 100))
        subprocess.run(["prlimit", "--pid", str(bot.proc.pid), "--nofile=1024:1024"],
                       check=True)
        for s in waiting:
            s.close()
        check(wait_for(lambda: get(bot.port, src="127.0.0.3")[0] == 200, 10), sc,
              "page answers once descriptors are back")
        check(bot.healthz() is not None, sc, "/healthz answers once descriptors are back")
        time.sleep(1.5)  # the repeat counts are written a second after the repeats stop
        size = os.path.getsize(bot.log)
        with open(bot.log, errors="replace") as f:
            text = f.read()
        check(size < 200 * 1024, sc, "log stays small: %d bytes" % size)
        check("(repeated " in text, sc, "repeated lines collapsed into a count")
        check("http: connections refused" in text, sc, "refusals counted in the log")
        check("accept: errno 24" in text, sc, "accept() failing was logged (once, counted)")
        check(text.count("accept: errno 24") < 50, sc, "accept errors collapsed: %d lines"
              % text.count("accept: errno 24"))
    finally:
        for s in socks:
            s.close()
        bot.stop()


# ---- timeouts --------------------------------------------------------------------------

def timeouts():
    sc = "timeouts"
    bot = Bot(sc, "header_timeout_seconds = 3\nidle_timeout_seconds = 2\n")
    try:
        half = held(bot.port, "127.0.0.1", b"GET / HTTP/1.1\r\nHost: x\r\n")
        silent = held(bot.port, "127.0.0.1")
        upgrade = held(bot.port, "127.0.0.1", UPGRADE)
        res = {}
        threads = [threading.Thread(target=lambda k=k, s=s: res.__setitem__(k, closed_after(s, 10)))
                   for k, s in (("half", half), ("silent", silent), ("upgrade", upgrade))]
        for t in threads:
            t.start()
        ka = held(bot.port, "127.0.0.1", b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        ka.settimeout(5)
        first = ka.recv(65536)
        check(first.startswith(b"HTTP/1.1 200"), sc, "keep-alive answer: %r" % first[:40])
        res["idle"] = closed_after(ka, 10)
        for t in threads:
            t.join()
        for k, lo, hi in (("half", 2.5, 5), ("silent", 2.5, 5), ("upgrade", 2.5, 5),
                          ("idle", 1.5, 4)):
            check(res[k] is not None and lo <= res[k] <= hi, sc,
                  "%s connection closed after %s s (expected %.1f..%.1f)" % (k, res[k], lo, hi))
        check(get(bot.port)[0] == 200, sc, "page still answers")
        for s in (half, silent, upgrade, ka):
            s.close()
    finally:
        bot.stop()


# ---- caps ------------------------------------------------------------------------------

def caps():
    sc = "caps"
    bot = Bot(sc, "max_connections = 8\nmax_connections_per_address = 3\n"
                  "header_timeout_seconds = 30\n")
    try:
        a = [held(bot.port, "127.0.3.1") for _ in range(3)]
        time.sleep(0.3)
        extra = held(bot.port, "127.0.3.1")
        t = closed_after(extra, 3)
        check(t is not None and t < 1, sc, "4th connection of one address closed at once: %s" % t)
        check(get(bot.port, src="127.0.3.2")[0] == 200, sc, "another address is served")
        a[0].close()
        time.sleep(0.3)
        check(get(bot.port, src="127.0.3.1")[0] == 200, sc, "a freed slot serves its address")
        b = [held(bot.port, "127.0.3.%d" % (3 + i // 3)) for i in range(6)]  # 2 + 6 = 8
        time.sleep(0.3)
        t = closed_after(held(bot.port, "127.0.3.9"), 3)
        check(t is not None and t < 1, sc, "connection over max_connections closed at once: %s"
              % t)
        check(bot.healthz() is not None, sc, "/healthz (internal listener) not capped")
        for s in a + b:
            s.close()
        check(wait_for(lambda: get(bot.port, src="127.0.3.9")[0] == 200, 5), sc,
              "served again once connections closed")
        st, _ = get(bot.port, method="POST")
        check(st == 405, sc, "POST on a GET route: 405, got %s" % st)
    finally:
        bot.stop()


# ---- locked ----------------------------------------------------------------------------

def locked():
    sc = "locked"
    bot = Bot(sc)
    try:
        st, _ = get(bot.port, "/api/v2/summary.json")
        check(st == 200, sc, "page warm")
        ready = threading.Event()

        def hold():
            c = sqlite3.connect(bot.db, timeout=10, isolation_level=None)
            c.execute("BEGIN EXCLUSIVE")  # the write lock: every writer of the bot waits
            c.execute("CREATE TABLE IF NOT EXISTS e2e_lock (x)")
            ready.set()
            time.sleep(10)
            c.execute("ROLLBACK")
            c.close()
        t = threading.Thread(target=hold)
        t.start()
        check(ready.wait(15), sc, "lock taken")
        # Envelopes arrive while the lock is held; the page is read all along.
        sent = [call(bot.base, "/_emu/slash", {"user_id": "U0ALICE0001",
                                               "channel_id": "C0GENERAL01",
                                               "command": "/incident", "text": "help"})
                ["envelope_id"] for _ in range(3)]
        worst = 0.0
        answered = 0
        t_end = time.time() + 8
        while time.time() < t_end:
            for path in ("/api/v2/summary.json", "/", "/history.atom"):
                st, secs = get(bot.port, path)
                worst = max(worst, secs)
                answered += st == 200
            time.sleep(0.3)
        t.join()
        check(answered > 20, sc, "page answered during the lock (%d)" % answered)
        check(worst < 1.0, sc, "every page answer under 1 s during the lock: worst %.2f s" % worst)
        check(wait_for(lambda: get(bot.port)[0] == 200, 10), sc, "page answers after the lock")
        check(wait_for(lambda: acked(bot) >= len(sent) and bot_idle(bot.db), 60), sc,
              "every envelope acked and processed after")
        n = db_rows(bot.db, "SELECT count(*) FROM inbox")[0][0]
        check(n == len(sent), sc, "each envelope stored once: %d rows for %d" % (n, len(sent)))
    finally:
        bot.stop()


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096 <= hard or (soft < hard and hard == resource.RLIM_INFINITY):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    return run_side_by_side("http_hardening_e2e", [("flood", flood), ("timeouts", timeouts),
                                                   ("caps", caps), ("locked", locked)])


if __name__ == "__main__":
    sys.exit(main())
