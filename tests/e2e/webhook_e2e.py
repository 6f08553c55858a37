#!/usr/bin/env python3
"""End-to-end: outgoing webhooks ([[webhooks]]) of the real incidentd, driven through slackemu,
received by a small HTTP receiver on loopback in this script.

1. declare -> publish -> identified -> monitoring -> resolved: the receiver gets
   incident.published, incident.status_changed x2, incident.resolved, once each and in that
   order, every signature valid with the shared secret (HMAC-SHA256 of "<timestamp>.<body>"),
   the headers matching the body; a webhook subscribed to incident.published only gets that;
   a receiver answering 400 is given up at once and the incident channel is told.
2. An incident never published sends nothing.
3. The receiver answers 503 (Retry-After: 1) once: the event is retried and accepted once.
4. The receiver down for a while, then back: every event of the incident arrives, once and in
   order.
5. Events waiting in the lane of a webhook no longer configured are kept and said at start.

usage: webhook_e2e.py path/to/incidentd path/to/slackemu
"""
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from e2e_util import call, free_port, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
SECRET = "e2e-webhook-secret-0123456789abcdef"
ALICE = "U0ALICE0001"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


class Receiver:
    """Records every POST; answers 503 to the next `fail` requests of /recv, 400 on /gone."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.requests = []  # dicts: path, headers, body (bytes), status answered
        self.fail = 0
        self.server = None
        self.thread = None

    def start(self):
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rec.lock:
                    status = 200
                    if self.path == "/gone":
                        status = 400
                    elif self.path == "/recv" and rec.fail > 0:
                        rec.fail -= 1
                        status = 503
                    rec.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "body": body, "status": status, "at": time.time()})
                self.send_response(status)
                if status == 503:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"no")

            def log_message(self, *a):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def accepted(self, path, incident=None):
        """Bodies (decoded) answered 200 on path, in arrival order; of one incident number."""
        with self.lock:
            out = [json.loads(r["body"]) for r in self.requests
                   if r["path"] == path and r["status"] == 200]
        return [b for b in out if incident is None or b["incident"]["number"] == incident]

    def all(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]


def events(bodies):
    return [b["event"] for b in bodies]


def signature_ok(r):
    h = {k.lower(): v for k, v in r["headers"].items()}
    ts = h.get("x-incidentd-timestamp", "")
    want = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + r["body"],
                                hashlib.sha256).hexdigest()
    body = json.loads(r["body"])
    return (hmac.compare_digest(h.get("x-incidentd-signature", ""), want)
            and h.get("content-type") == "application/json"
            and h.get("x-incidentd-event") == body["event"]
            and h.get("x-incidentd-delivery") == body["id"]
            and abs(int(ts) - time.time()) < 600)


def db_attempts(db, event, incident):
    with sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10) as c:
        return [r[0] for r in c.execute(
            "SELECT attempts FROM outbox WHERE target = 'webhook:recv' AND incident_id = ? AND "
            "json_extract(payload, '$.event') = ? ORDER BY id", (incident, event))]


def incident_status(db, cid):
    with sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10) as c:
        r = c.execute("SELECT status FROM incidents WHERE channel_id = ?", (cid,)).fetchone()
    return r[0] if r else None


def outbox_state(db, key):
    with sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10) as c:
        r = c.execute("SELECT state FROM outbox WHERE idem_key = ?", (key,)).fetchone()
    return r[0] if r else None


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-webhook-")
    emu, base = start_slackemu(SLACKEMU, tmp, "--no-rate-limits")
    rport = free_port()
    recv = Receiver(rport)
    recv.start()
    url = "http://127.0.0.1:%d" % rport
    os.environ["E2E_WEBHOOK_SECRET"] = SECRET
    db = os.path.join(tmp, "incidentd.db")
    extra = ('[[webhooks]]\nname = "recv"\nurl = "%s/recv"\nsecret_env = "E2E_WEBHOOK_SECRET"\n'
             'timeout_seconds = 5\n'
             '[[webhooks]]\nname = "pubonly"\nurl = "%s/pub"\nsecret_env = "E2E_WEBHOOK_SECRET"\n'
             'events = ["incident.published"]\n'
             '[[webhooks]]\nname = "gone"\nurl = "%s/gone"\nsecret_env = "E2E_WEBHOOK_SECRET"\n'
             'events = ["incident.published"]\n' % (url, url, url))
    bot = None
    ok = False
    try:
        # Without the secret in the environment the bot refuses to start, naming the variable.
        env_saved = os.environ.pop("E2E_WEBHOOK_SECRET")
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "refused.log", "", extra)
        rc = bot.wait(timeout=30)
        bot = None
        log = open(os.path.join(tmp, "refused.log")).read()
        check(rc != 0 and "E2E_WEBHOOK_SECRET is not set" in log and SECRET not in log,
              "refuses to start without the secret: rc %r, %r" % (rc, log[-300:]))
        os.environ["E2E_WEBHOOK_SECRET"] = env_saved

        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot.log", "", extra)
        assert call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"]

        def declare(title, n):
            call(base, "/_emu/slash", {"user_id": ALICE, "channel_id": "C0GENERAL01",
                                       "text": "declare %s" % title})
            chan = wait_for(lambda: [c for c in call(base, "/_emu/state")["channels"]
                                     if c["name"].startswith("inc-")
                                     and "-%d-" % n in c["name"]], 20)
            assert chan, "no channel for incident %d" % n
            return chan[0]["id"]

        def publish(cid, n, msg):
            call(base, "/_emu/slash", {"user_id": ALICE, "channel_id": cid,
                                       "text": "publish %s" % msg})
            eph = wait_for(lambda: [m for m in call(base, "/_emu/state")["ephemeral"]
                                    if m["recipient"] == ALICE
                                    and '"value": "%d"' % n in json.dumps(m.get("blocks"))
                                    and "inc_publish_confirm" in json.dumps(m.get("blocks"))],
                           15)
            assert eph, "no publish preview for %d" % n
            c = call(base, "/_emu/click", {"user_id": ALICE, "message_ts": eph[-1]["ts"],
                                           "action_id": "inc_publish_confirm"})
            check(c.get("ok"), "publish click delivered: %r" % c)

        def status(cid, st, msg):
            # One at a time: slackemu spreads envelopes over both links, so two typed in a
            # row may arrive in either order (and a skipped status is refused).
            call(base, "/_emu/slash", {"user_id": ALICE, "channel_id": cid,
                                       "text": "status %s %s" % (st, msg)})
            check(wait_for(lambda: incident_status(db, cid) == st, 20),
                  "status %s applied" % st)

        life = ["incident.published", "incident.status_changed", "incident.status_changed",
                "incident.resolved"]

        # 1. A whole public life.
        c1 = declare("Payments fail", 1)
        publish(c1, 1, "We are looking into failed payments")
        check(wait_for(lambda: recv.accepted("/recv", 1), 20), "incident.published arrives")
        for st, msg in (("identified", "The card processor rejects requests"),
                        ("monitoring", "A fix is deployed"), ("resolved", "Payments work again")):
            status(c1, st, msg)
        got = wait_for(lambda: (lambda b: b if len(b) >= 4 else None)(recv.accepted("/recv", 1)),
                       30)
        got = got or recv.accepted("/recv", 1)
        check(events(got) == life, "events in order, once each: %r" % events(got))
        check([b["incident"]["status"] for b in got] == ["investigating", "identified",
                                                         "monitoring", "resolved"],
              "statuses: %r" % [b["incident"]["status"] for b in got])
        check([b["incident"]["message"] for b in got] ==
              ["We are looking into failed payments", "The card processor rejects requests",
               "A fix is deployed", "Payments work again"], "public messages")
        check(len({b["id"] for b in got}) == len(got), "event ids unique")
        if got:
            b = got[0]["incident"]
            check(b["id"] == "INC-1" and b["name"] == "Payments fail" and b["impact"] == "major"
                  and b["url"].endswith("/incidents/INC-1") and b["created_at"].endswith("Z"),
                  "incident fields: %r" % b)
            check(got[-1]["incident"]["resolved_at"] is not None, "resolved_at on resolve")
        reqs = recv.all()
        check(reqs and all(signature_ok(r) for r in reqs),
              "every request signed with the secret: %r"
              % [r["headers"] for r in reqs if not signature_ok(r)][:1])
        check(all(SECRET.encode() not in r["body"] for r in reqs), "the secret is not sent")
        pub = recv.accepted("/pub")
        check(events(pub) == ["incident.published"], "subscribed to published only: %r"
              % events(pub))
        check(len(recv.all("/gone")) == 1, "a 400 is not retried: %d" % len(recv.all("/gone")))

        def gave_up_said():
            for c in call(base, "/_emu/state")["channels"]:
                if c["id"] == c1:
                    return [m for m in c.get("messages", [])
                            if "Webhook *gone* gave up on incident.published" in m.get("text",
                                                                                        "")]
            return None
        check(wait_for(gave_up_said, 20), "the given-up event is said in the incident channel")

        # 2. Never published: nothing is sent.
        c2 = declare("Internal only", 2)
        status(c2, "identified", "Found it")
        status(c2, "monitoring", "Fixed")

        # 3. 503 once, then 200: retried, accepted once.
        with recv.lock:
            recv.fail = 1
        c3 = declare("Search slow", 3)
        publish(c3, 3, "Search is slow")
        check(wait_for(lambda: recv.accepted("/recv", 3), 20), "retried after a 503")
        tries = [r for r in recv.all("/recv") if json.loads(r["body"])["incident"]["number"] == 3]
        check([r["status"] for r in tries] == [503, 200], "503 then 200: %r"
              % [r["status"] for r in tries])
        if len(tries) == 2:
            d = [r["headers"].get("X-Incidentd-Delivery") for r in tries]
            check(d[0] == d[1], "the retry carries the same delivery id")
            check(tries[1]["at"] - tries[0]["at"] >= 0.9, "Retry-After honoured: %.2f s"
                  % (tries[1]["at"] - tries[0]["at"]))
        check(db_attempts(db, "incident.published", 3) == [2], "two attempts recorded: %r"
              % db_attempts(db, "incident.published", 3))

        # 4. The receiver down for a while, then back.
        recv.stop()
        for st, msg in (("identified", "Index rebuild"), ("monitoring", "Rebuilt"),
                        ("resolved", "Search is fast again")):
            status(c3, st, msg)
        check(wait_for(lambda: (db_attempts(db, "incident.status_changed", 3) or [0])[0] >= 3,
                       40), "retried while down: %r"
              % db_attempts(db, "incident.status_changed", 3))
        check(len(recv.accepted("/recv", 3)) == 1, "nothing accepted while down")
        recv.start()
        got3 = wait_for(lambda: (lambda b: b if len(b) >= 4 else None)(
            recv.accepted("/recv", 3)), 60) or recv.accepted("/recv", 3)
        check(events(got3) == life, "back: everything once and in order: %r" % events(got3))
        check([b["incident"]["message"] for b in got3][1:] ==
              ["Index rebuild", "Rebuilt", "Search is fast again"], "messages in order")

        # Nothing of incident 2, ever; nothing more arrives for 1 and 3.
        time.sleep(2)
        check(not [r for r in recv.all() if json.loads(r["body"])["incident"]["number"] == 2],
              "the never-published incident sent nothing")
        check(len(recv.accepted("/recv", 1)) == 4 and len(recv.accepted("/recv", 3)) == 4,
              "no duplicates")
        check(all(signature_ok(r) for r in recv.all()), "all signatures valid")
        bot.terminate()
        rc = bot.wait(timeout=60)
        bot = None
        logtext = open(os.path.join(tmp, "bot.log")).read()
        check(rc == 0, "clean stop: exit status %r" % rc)
        check("Sanitizer" not in logtext and "runtime error" not in logtext,
              "no sanitizer reports (leaks, UB) in the bot's log")
        check(SECRET not in logtext, "the secret is never logged")

        # 5. Events left in the lane of a webhook since renamed: kept, and said at start.
        now = int(time.time() * 1000)
        with sqlite3.connect(db, timeout=10) as c:
            c.execute("INSERT INTO outbox (incident_id, kind, target, payload, idem_key,"
                      " next_attempt_at, created_at) VALUES (1, 'webhook.post', 'webhook:old',"
                      " '{}', 'e2e-orphan', ?, ?)", (now, now))
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "restart.log", "", extra)
        check(wait_for(lambda: "lane=webhook:old" in open(os.path.join(tmp, "restart.log")).read(),
                       20), "a lane nobody drains is said at start")
        bot.terminate()
        check(bot.wait(timeout=60) == 0, "clean stop after the restart")
        bot = None
        check(outbox_state(db, "e2e-orphan") == "pending", "its events are kept")
        print("webhook e2e: %s" % ("ok" if not failures else "%d failures" % len(failures)))
        ok = not failures
    finally:
        if bot:
            bot.terminate()
            bot.wait(timeout=30)
        try:
            recv.stop()
        except Exception:
            pass
        emu.terminate()
        emu.wait(timeout=10)
        if not ok:
            for name in ("bot.log", "emu.log", "refused.log", "restart.log"):
                p = os.path.join(tmp, name)
                if os.path.exists(p):
                    print("---- %s (tail)" % name, file=sys.stderr)
                    print("".join(open(p).readlines()[-40:]), file=sys.stderr)
        else:
            shutil.rmtree(tmp)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
