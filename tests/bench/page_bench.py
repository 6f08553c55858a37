#!/usr/bin/env python3
"""Status page benchmark (issue 7): wrk against incidentd's /api/v2/summary.json and / with
1,000 published incidents in history, side by side in the same run with nginx serving the
same bytes as static files, while slackemu delivers Slack envelopes and measures their acks.
Not part of the test suite: numbers go to docs/benchmarks.md.

History: incidentd is started once (it creates its schema), then 1,000 published incidents
(the newest 3 still open, every 10th with a postmortem, four public updates and one private
note each, one component each, spread over the last 89 days) are written into its SQLite
file with plain SQL on the real schema (the same way tests/e2e/page_e2e.py seeds it).
Declaring them through Slack would take hours: the bot's client-side limiter paces
conversations.create (tier 2) at 20/min.

Then the exact bytes incidentd serves for both paths are written to a temporary docroot
that nginx (Debian's, started here as a foreground process on a loopback port with a
config of its own, no root needed) serves. Per path, wrk against nginx then incidentd,
first alone, then while slackemu floods slash_commands envelopes at --ack-rate to the bot
(its acks measured during both runs: with nginx loaded, the acks show what the shared
2 cores cost; with incidentd loaded, what its own HTTP serving costs them); plus an
ack-only run with no HTTP load for reference. wrk and nginx: `scripts/install-deps.sh --bench`.

usage: page_bench.py INCIDENTD SLACKEMU [--seconds 10] [--connections 50] [--threads 2]
                     [--ack-rate 500] [--nginx-workers 1] [--incidents 1000]
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

PATHS = ("/api/v2/summary.json", "/")
COMPONENTS = ("API", "Web", "EU", "US")


def call(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def seed(db, n, now):
    """n published incidents on the real schema; returns how long it took."""
    t0 = time.time()
    rnd = random.Random(7)
    day = 86400000
    with sqlite3.connect(db, timeout=30) as c:
        for i, name in enumerate(COMPONENTS):
            c.execute("INSERT OR IGNORE INTO components (name, position, updated_at)"
                      " VALUES (?, ?, ?)", (name, i + 1, now))
        comp_ids = [r[0] for r in c.execute("SELECT id FROM components WHERE name IN"
                                            " (?, ?, ?, ?) ORDER BY position", COMPONENTS)]
        base = (c.execute("SELECT COALESCE(MAX(id), 0) FROM incidents").fetchone()[0]) + 1
        for k in range(n):
            iid = base + k
            at = now - 89 * day + (89 * day) * k // n + rnd.randrange(3600000)
            open_ = k >= n - 3
            status = ("investigating", "identified", "monitoring")[k % 3] if open_ else \
                ("postmortem" if k % 10 == 0 else "resolved")
            sev = ("minor", "major", "critical")[k % 3]
            title = "Elevated error rates on service %d (%s)" % (k % 37, sev)
            c.execute("INSERT INTO incidents (id, title, severity, status, started_at,"
                      " declared_at, identified_at, resolved_at, slug, public_title,"
                      " published, published_at, postmortem, postmortem_published_at,"
                      " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                      (iid, "internal " + title, sev, status, at, at, at + 600000,
                       None if open_ else at + 3600000, "bench-%d" % iid, title, at + 60000,
                       "Root cause: a connection pool was exhausted after a deploy. "
                       "We added an alert and doubled the pool." if status == "postmortem"
                       else None, at + 2 * day if status == "postmortem" else None,
                       at + 3600000))
            rows = [(iid, at + 60000, "publish", "We are investigating elevated error rates "
                     "for some customers.", 1, "investigating"),
                    (iid, at + 120000, "note", "private: looks like the pool", 0,
                     "investigating"),
                    (iid, at + 600000, "status", "The cause is identified; a fix is being "
                     "rolled out.", 1, "identified"),
                    (iid, at + 1800000, "status", "A fix is deployed; we are monitoring.", 1,
                     "monitoring")]
            if not open_:
                rows.append((iid, at + 3600000, "status", "This incident is resolved.", 1,
                             "resolved"))
            c.executemany("INSERT INTO timeline (incident_id, at, kind, text, public, status)"
                          " VALUES (?, ?, ?, ?, ?, ?)", rows)
            c.execute("INSERT INTO incident_components (incident_id, component_id, impact)"
                      " VALUES (?, ?, 'partial_outage')", (iid, comp_ids[k % len(comp_ids)]))
    return time.time() - t0


def start_nginx(nginx, tmp, docs, workers):
    """nginx in the foreground (no daemon, no root) serving docs {path: bytes}; (proc, port)."""
    root = os.path.join(tmp, "www")
    for path, body in docs.items():
        f = os.path.join(root, "index.html" if path == "/" else path.lstrip("/"))
        os.makedirs(os.path.dirname(f), exist_ok=True)
        with open(f, "wb") as out:
            out.write(body)
    # As root, nginx's workers run as nobody: they must be able to read the docroot.
    for d, _, files in os.walk(tmp):
        os.chmod(d, 0o755)
        for x in files:
            os.chmod(os.path.join(d, x), 0o644)
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""worker_processes %d;
daemon off;
pid %s/nginx.pid;
error_log %s/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path %s/ngx-body;
    proxy_temp_path %s/ngx-proxy;
    fastcgi_temp_path %s/ngx-fcgi;
    uwsgi_temp_path %s/ngx-uwsgi;
    scgi_temp_path %s/ngx-scgi;
    types { text/html html; application/json json; }
    server {
        listen 127.0.0.1:%d;
        root %s;
        etag on;
        location / { index index.html; }
    }
}
""" % ((workers,) + (tmp,) * 7 + (port, root)))
    proc = subprocess.Popen([nginx, "-p", tmp, "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "nginx.log"), "w"))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nginx did not start: %s" % open(os.path.join(tmp, "nginx.log")).read())


def unit_us(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    return float(m.group(1)) * {"us": 1, "ms": 1000, "s": 1e6}[m.group(2)]


def wrk(args, url):
    out = subprocess.run([args.wrk, "-t%d" % args.threads, "-c%d" % args.connections,
                          "-d%ds" % args.seconds, "--latency", url],
                         capture_output=True, text=True, timeout=args.seconds + 60).stdout
    r = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for q in ("50", "99"):
        r["p" + q] = unit_us(re.search(r"^\s+%s%%\s+(\S+)" % q, out, re.M).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    r["socket_errors"] = m.group(1) if m else ""
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    return r


def backlog(db):
    """Envelopes and effects the bot has not finished (inbox pending/processing, outbox
    pending/sending)."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return c.execute("SELECT (SELECT count(*) FROM inbox WHERE state IN ('pending',"
                         " 'processing')) + (SELECT count(*) FROM outbox WHERE state IN"
                         " ('pending', 'sending'))").fetchone()[0]
    finally:
        c.close()


def acks_during(base, rate, seconds, work, db):
    """Floods slash_commands at rate for seconds while work() runs; (work's result, ack stats).
    Waits first (up to 120 s) for the previous flood's backlog to drain, so runs do not
    measure each other's leftovers; the backlog left at the start is reported."""
    end = time.time() + 120
    while backlog(db) > 0 and time.time() < end:
        time.sleep(0.5)
    left = backlog(db)
    since = call(base, "/_emu/acks?since=0")["total"]
    n = int(rate * seconds)
    call(base, "/_emu/flood", {"count": n, "rate": rate, "type": "slash_commands"})
    result = work() if work else time.sleep(seconds)
    end = time.time() + 30
    acks = []
    while time.time() < end:
        acks = call(base, "/_emu/acks?since=%d" % since)["acks"]
        if len(acks) >= n:
            break
        time.sleep(0.5)
    lat = sorted(a["latency_us"] for a in acks)
    pick = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] if lat else -1
    return result, {"sent": n, "acked": len(lat), "p50": pick(0.5), "p99": pick(0.99),
                    "max": lat[-1] if lat else -1, "backlog": left}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("incidentd")
    ap.add_argument("slackemu")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ack-rate", type=int, default=500)
    ap.add_argument("--nginx-workers", type=int, default=1)
    ap.add_argument("--incidents", type=int, default=1000)
    ap.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, docroot)")
    args = ap.parse_args()
    for tool in (args.wrk, args.nginx):
        if not os.path.exists(tool):
            sys.exit("page_bench: %s not found (scripts/install-deps.sh --bench)" % tool)

    tmp = tempfile.mkdtemp(prefix="incidentd-pagebench-")
    emu = subprocess.Popen([args.slackemu, "--port", "0", "--quiet", "--no-rate-limits"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = re.search(r"(http://127\.0\.0\.1:\d+)", emu.stdout.readline()).group(1)
    port = free_port()
    cfg = os.path.join(tmp, "b.toml")
    with open(cfg, "w") as f:
        f.write('[slack]\napi_base_url = "%s/api/"\n[store]\npath = "%s/b.db"\n'
                '[http]\nlisten = "127.0.0.1:%d"\ninternal_listen = "127.0.0.1:0"\n'
                '[log]\nlevel = "warn"\n'
                '[statuspage]\ntitle = "Bench Status"\n' % (base, tmp, port))
        for name in COMPONENTS:
            f.write('[[statuspage.components]]\nname = "%s"\n' % name)
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-1-2-benchmark00",
               SLACK_APP_TOKEN="xapp-1-A1-2-benchmark0")
    bot = subprocess.Popen([args.incidentd, "run", "-c", cfg], env=env,
                           stderr=open(os.path.join(tmp, "bot.log"), "w"))
    nginx = None
    http = "http://127.0.0.1:%d" % port
    try:
        for _ in range(200):
            if len(call(base, "/_emu/state")["connections"]) == 2:
                break
            time.sleep(0.05)
        took = seed(os.path.join(tmp, "b.db"), args.incidents, int(time.time() * 1000))
        time.sleep(1.2)  # the page cache's TTL
        docs = {}
        for path in PATHS:
            st, body = fetch(http + path)
            if st != 200:
                sys.exit("page_bench: %s answered %d" % (path, st))
            docs[path] = body
        summary = json.loads(docs["/api/v2/summary.json"])
        print("seeded %d incidents in %.2f s; summary.json %d bytes (%d open incidents), "
              "/ %d bytes (%d incident links)" % (
                  args.incidents, took, len(docs["/api/v2/summary.json"]),
                  len(summary["incidents"]), len(docs["/"]),
                  docs["/"].count(b'<a href="/incidents/')))
        nginx, nport = start_nginx(args.nginx, tmp, docs, args.nginx_workers)
        ng = "http://127.0.0.1:%d" % nport
        for path in PATHS:
            if fetch(ng + path)[1] != docs[path]:
                sys.exit("page_bench: nginx does not serve the same bytes for %s" % path)
        print("load %s; wrk -t%d -c%d -d%ds --latency; nginx worker_processes %d; "
              "acks: slash_commands at %d/s during the incidentd runs" % (
                  open("/proc/loadavg").read().split()[0], args.threads, args.connections,
                  args.seconds, args.nginx_workers, args.ack_rate))
        db = os.path.join(tmp, "b.db")
        _, idle_acks = acks_during(base, args.ack_rate, args.seconds, None, db)
        print("acks without HTTP load: sent %(sent)d acked %(acked)d p50 %(p50)d µs p99 "
              "%(p99)d µs max %(max)d µs (backlog before: %(backlog)d)" % idle_acks)
        print()
        print("| path | server | Slack envelopes during the run | req/s | p50 | p99 | non-2xx "
              "| incidentd / nginx | acks p50 / p99 / max µs (acked/sent) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for path in PATHS:
            for flood in (False, True):
                res = {}
                for name, url in (("nginx", ng), ("incidentd", http)):
                    if flood:
                        r, a = acks_during(base, args.ack_rate, args.seconds,
                                           lambda: wrk(args, url + path), db)
                    else:
                        r, a = wrk(args, url + path), None
                    res[name] = r
                    print("| `%s` | %s | %s | %.0f | %.2f ms | %.2f ms | %d%s | %s | %s |" % (
                        path, name, "%d/s" % args.ack_rate if flood else "none", r["rps"],
                        r["p50"] / 1000, r["p99"] / 1000, r["errors"],
                        (" (socket: %s)" % r["socket_errors"]) if r["socket_errors"] else "",
                        "%.0f %%" % (100 * r["rps"] / res["nginx"]["rps"])
                        if name == "incidentd" else "",
                        "%d / %d / %d (%d/%d%s)" % (
                            a["p50"], a["p99"], a["max"], a["acked"], a["sent"],
                            ", backlog before %d" % a["backlog"] if a["backlog"] else "")
                        if a else ""), flush=True)
        print("\nload after: %s; bot peak RSS %s" % (
            open("/proc/loadavg").read().split()[0],
            [l.split(None, 1)[1].strip() for l in open("/proc/%d/status" % bot.pid)
             if l.startswith("VmHWM")][0]))
    finally:
        if nginx:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.kill()
        emu.kill()
        emu.wait()
        if args.keep:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
