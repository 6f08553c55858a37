#!/usr/bin/env python3
"""End-to-end: the built-in status page of the real incidentd, over real HTTP.

Incidents, components and public updates are written into the bot's SQLite file directly
(the /incident publish command is not used, so the page is tested on its own): a published
open incident whose title and updates carry <script>, quotes and non-ASCII, a published
resolved one with a postmortem, and one that was never published. Then the JSON API, the
HTML pages and the feeds are fetched and checked: only published incidents appear, user text
is escaped, the indicator follows the worst open impact; then the HTTP rules: 405 with Allow
for other methods, 404 for unknown paths, 414 for an over-long URI, HEAD without a body,
ETag with If-None-Match -> 304, Last-Modified, a slow client and an oversized header dropped
while the page keeps being served, and a change in the store reaching the page. The two
listeners: /healthz and /metrics answer 404 on the public address and 200 on the internal one,
where the page's routes answer 404.

usage: page_e2e.py path/to/incidentd path/to/slackemu
"""
import http.client
import json
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import xml.dom.minidom

from e2e_util import call, log_tail, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
failures = []
EVIL = "<script>alert(\"x\")</script> & 'q' caf\u00e9 \u65e5\u672c"


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def request(port, method, path, headers=None):
    """(status, headers as a lower-cased dict, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        c.close()


def up(http_base):
    try:
        return call(http_base.internal, "/healthz")
    except OSError:
        return None


def port_of(base):
    return int(base.rsplit(":", 1)[1])


def listeners(port, internal):
    """Each listener serves only its own routes; the other's answer 404 there."""
    for path in ("/healthz", "/metrics"):
        for method in ("GET", "HEAD"):
            st, h, body = request(port, method, path)
            check(st == 404, "public %s %s -> 404, got %d" % (method, path, st))
        st, h, body = request(port, "GET", path + "?x=1")
        check(st == 404, "public %s with a query -> 404, got %d" % (path, st))
        st, h, body = request(internal, "GET", path)
        check(st == 200, "internal %s -> 200, got %d" % (path, st))
    st, h, body = request(internal, "GET", "/healthz")
    check(json.loads(body).get("database") == "ok", "internal /healthz: %r" % body)
    st, h, body = request(internal, "GET", "/metrics")
    check(b"incidentd_incidents_open{severity=" in body and
          h.get("content-type", "").startswith("text/plain"), "internal /metrics: Prometheus text")
    for path in ("/", "/index.html", "/style.css", "/api/v2/summary.json", "/history.atom",
                 "/history.rss", "/incidents/api-errors", "/incidents/901"):
        st, h, body = request(internal, "GET", path)
        check(st == 404 and b"Example Status" not in body,
              "internal %s -> 404, got %d" % (path, st))
        st, h, body = request(port, "GET", path)
        check(st == 200, "public %s -> 200, got %d" % (path, st))


def seed(db):
    now = int(time.time() * 1000)
    with sqlite3.connect(db, timeout=10) as c:
        c.execute("INSERT INTO components (name, description, position, status, updated_at)"
                  " VALUES ('API', 'Public REST API', 1, 'partial_outage', ?),"
                  " ('Web', '', 2, 'operational', ?)", (now, now))
        c.execute("INSERT INTO component_status_log (component_id, at, status)"
                  " SELECT id, ?, 'partial_outage' FROM components WHERE name = 'API'",
                  (now - 86400000 * 2,))
        # 1: published, open, critical, with evil text
        c.execute("INSERT INTO incidents (id, title, severity, status, started_at, declared_at,"
                  " slug, public_title, published, published_at, updated_at)"
                  " VALUES (901, 'internal title', 'critical', 'identified', ?, ?, 'api-errors',"
                  " ?, 1, ?, ?)", (now - 600000, now - 600000, EVIL, now - 500000, now))
        c.execute("INSERT INTO timeline (incident_id, at, kind, text, public, status) VALUES"
                  " (901, ?, 'publish', ?, 1, 'investigating'),"
                  " (901, ?, 'note', 'secret internal note', 0, 'investigating'),"
                  " (901, ?, 'status', 'We found it.', 1, 'identified')",
                  (now - 500000, "Looking into " + EVIL, now - 400000, now - 300000))
        c.execute("INSERT INTO incident_components (incident_id, component_id, impact)"
                  " SELECT 901, id, 'partial_outage' FROM components WHERE name = 'API'")
        # 2: published, resolved, with a postmortem
        c.execute("INSERT INTO incidents (id, title, severity, status, started_at, declared_at,"
                  " resolved_at, published, published_at, postmortem, postmortem_published_at,"
                  " updated_at) VALUES (902, 'Slow logins', 'minor', 'closed', ?, ?, ?, 1, ?,"
                  " '## Root cause\n\nA **missing** &lt;b&gt;an index&lt;/b&gt;.', ?, ?)",
                  (now - 86400000 * 3, now - 86400000 * 3, now - 86400000 * 3 + 3600000,
                   now - 86400000 * 3, now - 86400000 * 2, now))
        c.execute("INSERT INTO timeline (incident_id, at, kind, text, public, status) VALUES"
                  " (902, ?, 'publish', 'Logins are slow.', 1, 'investigating'),"
                  " (902, ?, 'status', 'Fixed.', 1, 'resolved')",
                  (now - 86400000 * 3, now - 86400000 * 3 + 3600000))
        # 4: published 100 days ago and still open: still shown; 5: as old and resolved: not
        c.execute("INSERT INTO incidents (id, title, severity, status, declared_at, published,"
                  " published_at, updated_at) VALUES (904, 'Old open one', 'minor', 'monitoring',"
                  " ?, 1, ?, ?), (905, 'Old resolved one', 'minor', 'resolved', ?, 1, ?, ?)",
                  (now - 86400000 * 100,) * 6)
        # 3: never published
        c.execute("INSERT INTO incidents (id, title, severity, status, declared_at, updated_at)"
                  " VALUES (903, 'Hidden outage', 'critical', 'investigating', ?, ?)", (now, now))
        c.execute("INSERT INTO timeline (incident_id, at, kind, text, public, status) VALUES"
                  " (903, ?, 'declare', 'hidden text', 1, 'investigating')", (now,))


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-page-")
    emu, base = start_slackemu(SLACKEMU, tmp)
    bot = None
    db = os.path.join(tmp, "incidentd.db")
    try:
        bot, http_base = start_incidentd(
            INCIDENTD, tmp, base, "bot.log",
            extra_config='[statuspage]\ntitle = "Example Status"\n'
                         'url = "https://status.example.com/"\n'
                         '[[statuspage.components]]\nname = "API"\n'
                         'description = "Public REST API"\n'
                         '[[statuspage.components]]\nname = "EU"\ngroup = "Regions"\n'
                         '[[statuspage.components]]\nname = "Web"\n'
                         '[[statuspage.components]]\nname = "US"\ngroup = "Regions"\n')
        port, internal = port_of(http_base), port_of(http_base.internal)
        check(wait_for(lambda: up(http_base)), "bot up")
        # An empty page first, then the seeded one after the cache's TTL.
        st, h, body = request(port, "GET", "/api/v2/status.json")
        check(st == 200 and json.loads(body)["status"]["indicator"] == "none", "empty: none")
        seed(db)
        time.sleep(1.2)

        st, h, body = request(port, "GET", "/api/v2/summary.json")
        check(st == 200, "summary 200")
        check(h.get("content-type", "").startswith("application/json"), "summary ctype")
        check(h.get("access-control-allow-origin") == "*", "summary CORS")
        s = json.loads(body)
        check(set(s) == {"page", "components", "incidents", "scheduled_maintenances", "status"},
              "summary keys %r" % sorted(s))
        check(s["page"]["name"] == "Example Status", "page name")
        check(s["status"]["indicator"] == "critical", "indicator %r" % s["status"])
        check([i["name"] for i in s["incidents"]] == [EVIL, "Old open one"],
              "only the open published ones: %r" % [i["name"] for i in s["incidents"]])
        inc = s["incidents"][0]
        check(inc["impact"] == "critical" and inc["status"] == "identified", "impact/status")
        check(inc["shortlink"] == "https://status.example.com/incidents/api-errors", "shortlink")
        check([u["body"] for u in inc["incident_updates"]] == ["We found it.", "Looking into " + EVIL],
              "public updates newest first: %r" % inc["incident_updates"])
        check([c["name"] for c in inc["components"]] == ["API"], "incident components")
        comps = [(c["name"], c["status"], c["group"]) for c in s["components"]]
        check(comps == [("API", "partial_outage", False), ("Regions", "operational", True),
                        ("EU", "operational", False), ("US", "operational", False),
                        ("Web", "operational", False)],
              "configured components, groups, statuses from the store: %r" % comps)
        group = s["components"][1]
        check(group["components"] == [s["components"][2]["id"], s["components"][3]["id"]] and
              s["components"][2]["group_id"] == group["id"], "group rows")

        st, h, body = request(port, "GET", "/api/v2/incidents.json")
        names = [i["name"] for i in json.loads(body)["incidents"]]
        check(st == 200 and names == [EVIL, "Slow logins", "Old open one"],
              "incidents.json %r" % names)
        old = json.loads(body)["incidents"][1]
        check(old["status"] == "postmortem" and old["postmortem_body"] ==
              "## Root cause\n\nA **missing** <b>an index</b>." and old["postmortem_published_at"]
              and all(u["status"] != "postmortem" for u in old["incident_updates"]),
              "the postmortem is the incident's postmortem_body, as plain Markdown, no update")
        for path, key in (("/api/v2/incidents/unresolved.json", "incidents"),
                          ("/api/v2/components.json", "components"),
                          ("/api/v2/status.json", "status"),
                          ("/api/v2/scheduled-maintenances.json", "scheduled_maintenances"),
                          ("/api/v2/scheduled-maintenances/upcoming.json",
                           "scheduled_maintenances"),
                          ("/api/v2/scheduled-maintenances/active.json",
                           "scheduled_maintenances")):
            st, h, body = request(port, "GET", path)
            check(st == 200 and key in json.loads(body) and "page" in json.loads(body), path)
        everything = b""
        for path in ("/", "/incidents/api-errors", "/incidents/INC-902", "/history.atom",
                     "/history.rss", "/api/v2/incidents.json", "/api/v2/summary.json"):
            st, h, body = request(port, "GET", path)
            check(st == 200, "%s: %d" % (path, st))
            everything += body
        check(b"Old resolved one" not in everything, "resolved before the 90 days: not shown")
        check(b"Hidden outage" not in everything and b"hidden text" not in everything,
              "never-published incident stays off the page")
        check(b"secret internal note" not in everything, "private timeline stays off the page")
        check(b"internal title" not in everything, "public title used")

        st, h, body = request(port, "GET", "/")
        page = body.decode()
        check(h.get("content-type", "").startswith("text/html"), "html ctype")
        check("<script" not in page, "no <script> in the HTML")
        check("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; caf\u00e9"
              in page, "title escaped in the HTML")
        check("Major System Outage" in page and "We found it." in page, "banner and updates")
        check("Slow logins" in page, "history")
        check(page.count('<div class="bar">') == 4 and '<span class="r3">' in page and
              "99.3 % uptime" in page, "90-day uptime bars")
        st, h, body = request(port, "GET", "/style.css")
        check(st == 200 and h.get("content-type", "").startswith("text/css") and b"body{" in body,
              "stylesheet")
        st, h, body = request(port, "GET", "/incidents/INC-902")
        check("&lt;b&gt;an index&lt;/b&gt;" in body.decode() and "<h2>Postmortem</h2>" in
              body.decode() and "<h4>Root cause</h4>" in body.decode() and
              "<strong>missing</strong>" in body.decode(),
              "postmortem in its own section on its page, its Markdown rendered, escaped")

        for path in ("/history.atom", "/history.rss"):
            st, h, body = request(port, "GET", path)
            doc = xml.dom.minidom.parseString(body)  # well-formed despite the user text
            titles = [t.firstChild.data for t in doc.getElementsByTagName("title")
                      if t.firstChild]
            check(EVIL in titles and "Slow logins" in titles, "%s titles %r" % (path, titles))
            check(b"<script" not in body, "%s: no raw <script>" % path)

        # HTTP rules
        st, h, body = request(port, "POST", "/api/v2/summary.json")
        check(st == 405 and h.get("allow") == "GET, HEAD", "POST -> 405 with Allow")
        st, h, body = request(port, "DELETE", "/")
        check(st == 405, "DELETE -> 405")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("PUT", "/", body=b"x" * 1000)
        check(c.getresponse().status == 405, "PUT with a body -> 405")
        c.close()
        st, h, body = request(port, "GET", "/nope")
        check(st == 404, "unknown path -> 404")
        st, h, body = request(port, "GET", "/incidents/no-such-incident")
        check(st == 404, "unknown incident -> 404")
        st, h, body = request(port, "GET", "/incidents/903")
        check(st == 404, "unpublished incident -> 404")
        st, h, body = request(port, "GET", "/" + "a" * 3000)
        check(st in (404, 414, 431), "long URI refused: %d" % st)
        st, h, body = request(port, "GET", "/api/v2/summary.json")
        etag, lm = h.get("etag"), h.get("last-modified")
        check(etag and lm and "max-age" in h.get("cache-control", ""), "ETag, Last-Modified, "
              "Cache-Control: %r" % h)
        st, h, body = request(port, "GET", "/api/v2/summary.json", {"If-None-Match": etag})
        check(st == 304 and body == b"", "If-None-Match -> 304")
        st, h, body = request(port, "HEAD", "/api/v2/summary.json")
        check(st == 200 and body == b"" and h.get("etag") == etag, "HEAD: headers only")
        listeners(port, internal)

        # A slow client (half a request) does not hold the server and is dropped by lws's
        # timeout; an oversized header is refused.
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        st, h, body = request(port, "GET", "/api/v2/status.json")
        check(st == 200, "served while a slow client waits")
        slow.settimeout(30)
        t0 = time.time()
        try:
            dropped = slow.recv(100) == b""
        except OSError:
            dropped = True
        check(dropped and time.time() - t0 < 25, "slow client dropped (%.1f s)" % (time.time() - t0))
        slow.close()
        try:
            st, h, body = request(port, "GET", "/", {"X-Big": "a" * 20000})
        except (OSError, http.client.HTTPException):
            st = "closed"
        check(st in ("closed", 400, 431), "oversized header refused: %r" % st)
        st, h, body = request(port, "GET", "/")
        check(st == 200, "still serving after the bad clients")

        # A change in the store reaches the page after the cache's TTL.
        with sqlite3.connect(db, timeout=10) as c:
            c.execute("UPDATE incidents SET status = 'resolved', resolved_at = ?"
                      " WHERE id IN (901, 904)",
                      (int(time.time() * 1000),))
            c.execute("UPDATE components SET status = 'operational'")
        time.sleep(1.2)
        st, h, body = request(port, "GET", "/api/v2/summary.json", {"If-None-Match": etag})
        check(st == 200 and json.loads(body)["status"]["indicator"] == "none",
              "resolved: indicator none, new ETag")
        check(json.loads(body)["incidents"] == [], "resolved: no unresolved incidents")

        # A page larger than two write chunks (HTTP_WRITE_CHUNK, 256 KiB, one send() each)
        # arrives whole, also to a reader that takes it 1 KiB at a time with pauses.
        with sqlite3.connect(db, timeout=10) as c:
            now = int(time.time() * 1000)
            c.executemany("INSERT INTO incidents (id, title, severity, status, declared_at,"
                          " published, published_at, updated_at) VALUES (?, ?, 'minor',"
                          " 'resolved', ?, 1, ?, ?)",
                          [(2000 + k, "Bulk incident %d %s" % (k, "x" * 1300), now - k * 60000,
                            now - k * 60000, now) for k in range(450)])
        time.sleep(1.2)
        st, h, big = request(port, "GET", "/")
        check(st == 200 and len(big) > 2 * 262144 and big.endswith(b"</html>\n") and
              int(h.get("content-length", -1)) == len(big) and big.count(b"Bulk incident") == 450,
              "a large page whole: %d bytes" % len(big))
        slow = socket.create_connection(("127.0.0.1", port))
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        slow.settimeout(20)
        while True:
            part = slow.recv(1024)
            if not part:
                break
            got += part
            if len(got) % 65536 < 1024:
                time.sleep(0.05)
        slow.close()
        check(got.endswith(big), "a slow reader gets the same large page (%d bytes)" % len(got))
        # Connections share the cached page's bytes: many at once, one of them slow, each
        # gets it whole and unchanged (nothing written into the shared copy).
        results = []

        def fetch():
            try:
                results.append(request(port, "GET", "/")[2])
            except OSError as e:
                results.append(repr(e).encode())
        slow = socket.create_connection(("127.0.0.1", port))
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        threads = [threading.Thread(target=fetch) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        got = b""
        slow.settimeout(20)
        while True:
            part = slow.recv(65536)
            if not part:
                break
            got += part
        slow.close()
        check(len(results) == 12 and all(r == big for r in results) and got.endswith(big),
              "12 parallel readers and a slow one get the same page: %r" %
              sorted(set(len(r) for r in results)))

        # A burst is served from the cache and the bot keeps serving.
        t0 = time.time()
        for _ in range(300):
            st, _, _ = request(port, "GET", "/")
            if st != 200:
                break
        check(st == 200, "300 requests served")
        print("300 GET / in %.2f s" % (time.time() - t0))
        check(bot.poll() is None, "bot still running")
        bot.terminate()
        rc = bot.wait(20)
        bot = None
        check(rc == 0, "clean exit after SIGTERM (sanitizers quiet): %r" % rc)
    finally:
        if bot:
            bot.terminate()
            bot.wait(10)
        emu.terminate()
        emu.wait(10)
    if failures:
        print(log_tail(os.path.join(tmp, "bot.log")), file=sys.stderr)
        print("%d failed" % len(failures))
        return 1
    print("page_e2e: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
