#!/usr/bin/env python3
"""HTTP flood benchmark (issue 15): 10,000 idle connections and 1,000 held WebSocket upgrade
attempts (half-sent upgrade requests) against incidentd's public listener, kept up for the
whole run (a connection the bot closes is opened again at once), while slackemu floods
`/incident help` slash commands at a given rate; slackemu measures send -> ack per envelope.
The same flood of commands without the HTTP flood first, as the baseline. Reports p50 / p99 /
max ack latency of both, incidentd's CPU use while the commands flow, the connections the
flood held at the end (the kernel's accept queue counts too), and incidentd's RSS
(VmRSS, and RssAnon: its own memory) before, at the end of the flood and 5 s after it.
Not part of the test suite: numbers go to docs/benchmarks.md.

usage: http_flood_bench.py INCIDENTD SLACKEMU [--seconds 10] [--rate 500]
                           [--idle 10000] [--upgrades 1000]
The script raises its own soft open-file limit to its hard limit (it needs about
idle + upgrades + 100 descriptors); incidentd runs with the limit it inherits (or
--bot-nofile N, through prlimit).
"""
import argparse
import errno
import json
import os
import re
import resource
import selectors
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

UPGRADE_HALF = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")


def call(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


class Flood:
    """Keeps `idle` silent connections and `upgrades` half-sent upgrade requests open to
    port, 50 per loopback source address, reopening whatever the server closes."""

    PER_ADDR = 50

    def __init__(self, port, idle, upgrades):
        self.port = port
        self.want = [(i, b"") for i in range(idle)] + \
                    [(idle + i, UPGRADE_HALF) for i in range(upgrades)]
        self.sel = selectors.DefaultSelector()
        self.stop_flag = False
        self.opened = self.closed_by_server = 0
        self.errors = {}
        self.open_now = 0

    def _open(self, slot, data):
        s = socket.socket()
        try:
            s.setblocking(False)
            s.bind((src_addr(slot), 0))
            try:
                s.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.sel.register(s, selectors.EVENT_WRITE, (slot, data, "connecting"))
            self.opened += 1
        except OSError as e:
            self.errors[errno.errorcode.get(e.errno, str(e.errno))] = \
                self.errors.get(errno.errorcode.get(e.errno, str(e.errno)), 0) + 1
            s.close()

    def run(self):
        for slot, data in self.want:
            self._open(slot, data)
        while not self.stop_flag:
            for key, ev in self.sel.select(timeout=0.2):
                s = key.fileobj
                slot, data, state = key.data
                if state == "connecting":
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    self.sel.unregister(s)
                    if err:
                        s.close()
                        self._open(slot, data)
                        continue
                    if data:
                        try:
                            s.send(data)
                        except OSError:
                            pass
                    self.sel.register(s, selectors.EVENT_READ, (slot, data, "open"))
                    continue
                try:
                    d = s.recv(65536)
                except OSError:
                    d = b""
                if not d:  # closed by the server: open it again
                    self.closed_by_server += 1
                    self.sel.unregister(s)
                    s.close()
                    self._open(slot, data)
        self.open_now = sum(1 for k in self.sel.get_map().values() if k.data[2] == "open")

    def close(self):
        for k in list(self.sel.get_map().values()):
            self.sel.unregister(k.fileobj)
            k.fileobj.close()


def src_addr(slot):
    """50 connections per loopback address: 127.1.x.y."""
    a = slot // Flood.PER_ADDR
    return "127.1.%d.%d" % (a // 250, 1 + a % 250)


def cpu_seconds(pid):
    """User + system CPU time of process pid so far, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def acks_p(base, n, seconds):
    end = time.time() + seconds + 30
    acks = []
    while time.time() < end:
        acks = call(base, "/_emu/acks")["acks"]
        if len(acks) >= n:
            break
        time.sleep(0.5)
    lat = sorted(a["latency_us"] for a in acks)
    pick = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] if lat else -1
    return {"acked": len(lat), "p50": pick(0.5), "p99": pick(0.99), "max": lat[-1] if lat else -1}


def run(args, with_flood):
    tmp = tempfile.mkdtemp(prefix="incidentd-httpflood-")
    emu = subprocess.Popen([args.slackemu, "--port", "0", "--quiet", "--no-rate-limits"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = re.search(r"(http://127\.0\.0\.1:\d+)", emu.stdout.readline()).group(1)
    port = free_port()
    cfg = os.path.join(tmp, "b.toml")
    with open(cfg, "w") as f:
        f.write('[slack]\napi_base_url = "%s/api/"\n[store]\npath = "%s/b.db"\n'
                '[http]\nlisten = "127.0.0.1:%d"\ninternal_listen = "127.0.0.1:0"\n'
                '[log]\nlevel = "warn"\n' % (base, tmp, port))
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-1-2-benchmark00",
               SLACK_APP_TOKEN="xapp-1-A1-2-benchmark0")
    prefix = ["prlimit", "--nofile=%d" % args.bot_nofile, "--"] if args.bot_nofile else []
    log = os.path.join(tmp, "bot.log")
    bot = subprocess.Popen(prefix + [args.incidentd, "run", "-c", cfg], env=env,
                           stderr=open(log, "w"))
    flood = None
    try:
        for _ in range(200):
            if len(call(base, "/_emu/state")["connections"]) == 2:
                break
            time.sleep(0.05)
        time.sleep(1)
        r = {"flood": with_flood, "rss_before": status_kb(bot.pid, "VmRSS"),
             "anon_before": status_kb(bot.pid, "RssAnon")}
        if with_flood:
            flood = Flood(port, args.idle, args.upgrades)
            t = threading.Thread(target=flood.run)
            t.start()
            time.sleep(3)  # the flood is up before the commands start
        n = int(args.rate * args.seconds)
        c0, t0 = cpu_seconds(bot.pid), time.time()
        call(base, "/_emu/flood", {"count": n, "rate": args.rate, "type": "slash_commands"})
        r.update(acks_p(base, n, args.seconds))
        r["cpu"] = 100 * (cpu_seconds(bot.pid) - c0) / (time.time() - t0)
        r["sent"] = n
        r["rss_flood"] = status_kb(bot.pid, "VmRSS")
        r["anon_flood"] = status_kb(bot.pid, "RssAnon")
        if flood:
            flood.stop_flag = True
            t.join()
            r["held"] = flood.open_now
            r["reopened"] = flood.closed_by_server
            flood.close()
        time.sleep(5)
        r["rss_after"] = status_kb(bot.pid, "VmRSS")
        r["anon_after"] = status_kb(bot.pid, "RssAnon")
        r["log_bytes"] = os.path.getsize(log)
        return r
    finally:
        if flood:
            flood.close()
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.kill()
        emu.kill()
        emu.wait()
        if not os.environ.get("KEEP_BENCH_TMP"):
            subprocess.run(["rm", "-rf", tmp])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("incidentd")
    ap.add_argument("slackemu")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--upgrades", type=int, default=1000)
    ap.add_argument("--bot-nofile", type=int, default=0)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.idle + args.upgrades + 200
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise SystemExit("need %d open files, the hard limit is %d" % (need, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    print("| HTTP flood | sent | acked | p50 µs | p99 µs | max µs | bot CPU % | held at end "
          "| reopened | RSS before / flood / +5 s KiB | own (anon) before / flood / +5 s KiB "
          "| log bytes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for with_flood in (False, True):
        for _ in range(3):  # a free port taken by someone else in between: try another
            r = run(args, with_flood)
            if r["acked"] > 0:
                break
        print("| %s | %d | %d | %d | %d | %d | %.0f | %s | %s | %d / %d / %d | %d / %d / %d "
              "| %d |" % (
            "%d idle + %d upgrades" % (args.idle, args.upgrades) if with_flood else "none",
            r["sent"], r["acked"], r["p50"], r["p99"], r["max"], r["cpu"], r.get("held", "-"),
            r.get("reopened", "-"), r["rss_before"], r["rss_flood"], r["rss_after"],
            r["anon_before"], r["anon_flood"], r["anon_after"], r["log_bytes"]), flush=True)


if __name__ == "__main__":
    main()
