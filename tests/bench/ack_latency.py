#!/usr/bin/env python3
"""Ack-latency benchmark (issue 4): slackemu delivers slash_commands envelopes at a
given rate for a given time to the real incidentd; slackemu measures send -> ack per
envelope in microseconds. Reports p50 / p99 / max and incidentd's peak RSS (VmHWM).
Not part of the test suite: numbers go to docs/benchmarks.md.

usage: ack_latency.py INCIDENTD SLACKEMU [--seconds 10] [--rates 100,500,1000]
                      [--api-latency-ms 0,2000] [--fsync true,false]
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


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
    """A size from /proc/PID/status: VmHWM is peak RSS, RssAnon the process's own memory
    (RSS also counts the pages of shared libraries, e.g. ~4 MiB of libcrypto, that other
    processes share)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def run(args, rate, api_ms, fsync):
    tmp = tempfile.mkdtemp(prefix="incidentd-bench-")
    emu = subprocess.Popen([args.slackemu, "--port", "0", "--quiet", "--no-rate-limits"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = re.search(r"(http://127\.0\.0\.1:\d+)", emu.stdout.readline()).group(1)
    cfg = os.path.join(tmp, "b.toml")
    with open(cfg, "w") as f:
        f.write('[slack]\napi_base_url = "%s/api/"\n[store]\npath = "%s/b.db"\n'
                'fsync_every_commit = %s\n[http]\nlisten = "127.0.0.1:%d"\n'
                'internal_listen = "127.0.0.1:0"\n[log]\nlevel = "warn"\n'
                % (base, tmp, fsync, free_port()))
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-1-2-benchmark00", SLACK_APP_TOKEN="xapp-1-A1-2-benchmark0")
    bot = subprocess.Popen([args.incidentd, "run", "-c", cfg], env=env,
                           stderr=open(os.path.join(tmp, "bot.log"), "w"))
    try:
        for _ in range(200):
            if len(call(base, "/_emu/state")["connections"]) == 2:
                break
            time.sleep(0.05)
        if api_ms:
            # Every Web API method answers slowly (response_url posts are not faulted).
            call(base, "/_emu/fault", {"method": "*", "latency_ms": api_ms})
        n = int(rate * args.seconds)
        call(base, "/_emu/flood", {"count": n, "rate": rate, "type": "slash_commands"})
        end = time.time() + args.seconds + 30
        acks = []
        while time.time() < end:
            acks = call(base, "/_emu/acks")["acks"]
            if len(acks) >= n:
                break
            time.sleep(0.5)
        lat = sorted(a["latency_us"] for a in acks)
        rss = status_kb(bot.pid, "VmHWM")
        anon = status_kb(bot.pid, "RssAnon")
        pick = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] if lat else -1
        return {"rate": rate, "api_ms": api_ms, "fsync": fsync, "sent": n, "acked": len(lat),
                "p50_us": pick(0.50), "p99_us": pick(0.99), "max_us": lat[-1] if lat else -1,
                "peak_rss_kb": rss, "anon_kb": anon}
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.kill()
        emu.kill()
        emu.wait()
        subprocess.run(["rm", "-rf", tmp])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("incidentd")
    ap.add_argument("slackemu")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rates", default="100,500,1000")
    ap.add_argument("--api-latency-ms", default="0,2000")
    ap.add_argument("--fsync", default="true")
    args = ap.parse_args()
    print("| rate/s | Web API latency | fsync_every_commit | sent | acked | p50 µs | p99 µs | max µs "
          "| peak RSS KiB | own (anon) KiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for fsync in args.fsync.split(","):
        for api_ms in [int(x) for x in args.api_latency_ms.split(",")]:
            for rate in [int(x) for x in args.rates.split(",")]:
                r = run(args, rate, api_ms, fsync)
                print("| %(rate)d | %(api_ms)d ms | %(fsync)s | %(sent)d | %(acked)d | %(p50_us)d | "
                      "%(p99_us)d | %(max_us)d | %(peak_rss_kb)d | %(anon_kb)d |" % r, flush=True)


if __name__ == "__main__":
    main()
