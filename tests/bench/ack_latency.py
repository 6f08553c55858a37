#!/usr/bin/env python3
"""Ack-latency benchmark (issues 4 and 15): slackemu delivers slash_commands envelopes at a
given rate for a given time to the real incidentd; slackemu measures send -> ack per
envelope in microseconds. Reports p50 / p99 / max and incidentd's peak RSS (VmHWM).
Not part of the test suite: numbers go to docs/benchmarks.md.

With --reference (issue 15), an ack-only Socket Mode client (this script started again
with --ack-client: a bare RFC 6455 client that acks each envelope the moment it reads it,
nothing else) holds one more connection to the same slackemu in the same run, so that it
and the bot share the machine's load. slackemu deals envelopes round-robin over the open
connections, so the flood is sent at rate x (links + 1) / links to give the bot `rate`;
the acks are split by connection and the bot's p99 is compared with the client's
(target: bot p99 <= 1.5 x the client's).

usage: ack_latency.py INCIDENTD SLACKEMU [--seconds 10] [--rates 100,500,1000]
                      [--api-latency-ms 0,2000] [--fsync true,false] [--reference]
"""
import argparse
import base64
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

BOT_LINKS = 2  # the bot's default [slack] connections


def ack_client(base):
    """The ack-only reference client: one Socket Mode connection to slackemu at base, an
    ack for each envelope at once, pongs for pings; runs until the socket closes."""
    req = urllib.request.Request(base + "/api/apps.connections.open", data=b"",
                                 headers={"Authorization": "Bearer xapp-1-A1-2-reference0"})
    url = json.loads(urllib.request.urlopen(req, timeout=10).read())["url"]
    m = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            return
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        sys.exit("reference client: no upgrade: %r" % head[:80])

    def send(opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x80 | opcode])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack("!Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        s.sendall(hdr + mask + body)

    msg = b""
    while True:
        # One whole frame in buf? (server frames are not masked)
        while True:
            if len(buf) < 2:
                break
            op, ln = buf[0] & 0x0F, buf[1] & 0x7F
            off = 2
            if ln == 126:
                if len(buf) < 4:
                    break
                ln, off = struct.unpack("!H", buf[2:4])[0], 4
            elif ln == 127:
                if len(buf) < 10:
                    break
                ln, off = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < off + ln:
                break
            payload, fin = buf[off:off + ln], buf[0] & 0x80
            buf = buf[off + ln:]
            if op == 0x9:
                send(0xA, payload)
            elif op == 0x8:
                return
            elif op in (0x0, 0x1):
                msg += payload
                if fin:
                    m = re.search(rb'"envelope_id":"([^"]+)"', msg)
                    if m and b'"type":"hello"' not in msg[:20]:
                        send(0x1, b'{"envelope_id":"' + m.group(1) + b'"}')
                    msg = b""
        select.select([s], [], [])
        chunk = s.recv(65536)
        if not chunk:
            return
        buf += chunk


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


def pct(lat, q):
    return lat[min(len(lat) - 1, int(len(lat) * q))] if lat else -1


def run(args, rate, api_ms, fsync):
    tmp = tempfile.mkdtemp(prefix="incidentd-bench-")
    emu = subprocess.Popen([args.slackemu, "--port", "0", "--quiet", "--no-rate-limits"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = re.search(r"(http://127\.0\.0\.1:\d+)", emu.stdout.readline()).group(1)
    ref, ref_ids = None, set()
    if args.reference:
        ref = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--ack-client", base])
        for _ in range(600):
            ref_ids = {c["id"] for c in call(base, "/_emu/state")["connections"]}
            if ref_ids:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the ack-only client did not connect")
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
        for _ in range(600):
            if len(call(base, "/_emu/state")["connections"]) == BOT_LINKS + len(ref_ids):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the bot did not open its %d links" % BOT_LINKS)
        if api_ms:
            # Every Web API method and response_url post answers slowly.
            call(base, "/_emu/fault", {"method": "*", "latency_ms": api_ms})
        total = rate * (BOT_LINKS + 1) / BOT_LINKS if ref else rate
        n = int(total * args.seconds)
        call(base, "/_emu/flood", {"count": n, "rate": total, "type": "slash_commands"})
        end = time.time() + args.seconds + 30
        acks = []
        while time.time() < end:
            acks = call(base, "/_emu/acks")["acks"]
            if len(acks) >= n:
                break
            time.sleep(0.5)
        lat = sorted(a["latency_us"] for a in acks if a.get("connection_id") not in ref_ids)
        rlat = sorted(a["latency_us"] for a in acks if a.get("connection_id") in ref_ids)
        rss = status_kb(bot.pid, "VmHWM")
        anon = status_kb(bot.pid, "RssAnon")
        return {"rate": rate, "api_ms": api_ms, "fsync": fsync, "sent": n - len(rlat),
                "acked": len(lat), "p50_us": pct(lat, 0.50), "p99_us": pct(lat, 0.99),
                "max_us": lat[-1] if lat else -1, "peak_rss_kb": rss, "anon_kb": anon,
                "ref_acked": len(rlat), "ref_p50_us": pct(rlat, 0.50),
                "ref_p99_us": pct(rlat, 0.99),
                "ratio": pct(lat, 0.99) / pct(rlat, 0.99) if rlat else 0}
    finally:
        if ref:
            ref.kill()
            ref.wait()
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.kill()
        emu.kill()
        emu.wait()
        subprocess.run(["rm", "-rf", tmp])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--ack-client":
        ack_client(sys.argv[2])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("incidentd")
    ap.add_argument("slackemu")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rates", default="100,500,1000")
    ap.add_argument("--api-latency-ms", default="0,2000")
    ap.add_argument("--fsync", default="true")
    ap.add_argument("--reference", action="store_true",
                    help="an ack-only client on one more connection, same run (issue 15)")
    args = ap.parse_args()
    ref_cols = " ack-only p50 / p99 µs | bot p99 / ack-only p99 |" if args.reference else ""
    print("| rate/s | Web API latency | fsync_every_commit | sent | acked | p50 µs | p99 µs | max µs "
          "| peak RSS KiB | own (anon) KiB |" + ref_cols)
    print("|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if args.reference else ""))
    for fsync in args.fsync.split(","):
        for api_ms in [int(x) for x in args.api_latency_ms.split(",")]:
            for rate in [int(x) for x in args.rates.split(",")]:
                r = run(args, rate, api_ms, fsync)
                line = ("| %(rate)d | %(api_ms)d ms | %(fsync)s | %(sent)d | %(acked)d | "
                        "%(p50_us)d | %(p99_us)d | %(max_us)d | %(peak_rss_kb)d | %(anon_kb)d |"
                        % r)
                if args.reference:
                    line += " %(ref_p50_us)d / %(ref_p99_us)d | %(ratio).2f |" % r
                print(line, flush=True)


if __name__ == "__main__":
    main()
