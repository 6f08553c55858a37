#!/usr/bin/env python3
"""statuspageemu: an emulator of the Atlassian Statuspage management API (v1) on loopback,
for incidentd's tests (python3 is a test tool; stdlib only).

It serves the endpoints incidentd's mirror uses, under /v1/pages/{page_id}:
  POST/GET /incidents, GET/PATCH/PUT/DELETE /incidents/{id},
  GET/PUT /incidents/{id}/postmortem, PUT .../postmortem/publish,
  GET /components, GET/PATCH/PUT /components/{id}
with `Authorization: OAuth <key>` checked (401), a 1 request/second limit per key like
Statuspage's (420 with Retry-After), and, when given --spec (the published OpenAPI description,
e.g. ../shared/statuspage-samples/statuspage-management-api-openapi.json), every request body
checked against its schema (400, and the error kept in the state).

Control API (no auth, not rate limited):
  GET  /_emu/state   everything: incidents (with their updates, metadata and postmortem),
                     components, the request log, counters, schema errors
  POST /_emu/fault   {"mode": "none|latency|ratelimit|error|hang|down", "count": N (-1 = until
                     changed), "status": 420|429|500|503..., "retry_after": seconds,
                     "latency_ms": ms, "hang_ms": ms, "commit": true (hang/down: carry the
                     request out first, then never answer: the answer is lost)}
  POST /_emu/components {"id": "name", ...} adds components
  POST /_emu/reset   forgets incidents, requests and faults

Starts on --port (0: any free port) and prints "http://127.0.0.1:PORT/v1" on stdout.
"""
import argparse
import json
import random
import re
import string
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved"]
COMPONENT_STATUSES = ["operational", "under_maintenance", "degraded_performance",
                      "partial_outage", "major_outage"]


def now_iso():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def new_id():
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(12))


class Schema:
    """A small JSON Schema check of request bodies against the OpenAPI description."""

    def __init__(self, path):
        with open(path) as f:
            self.doc = json.load(f)

    def resolve(self, s):
        while isinstance(s, dict) and "$ref" in s:
            node = self.doc
            for part in s["$ref"].lstrip("#/").split("/"):
                node = node[part]
            s = node
        return s

    def body_schema(self, template, method):
        op = self.doc.get("paths", {}).get(template, {}).get(method.lower())
        if op is None:
            return None, "no %s %s in the API description" % (method, template)
        rb = op.get("requestBody")
        if rb is None:
            return None, None
        return self.resolve(rb["content"]["application/json"]["schema"]), None

    def check(self, schema, value, where, errors):
        schema = self.resolve(schema)
        t = schema.get("type")
        types = {"object": dict, "array": list, "string": str, "boolean": bool,
                 "integer": int, "number": (int, float)}
        if t in types:
            ok = isinstance(value, types[t]) and not (t in ("integer", "number")
                                                      and isinstance(value, bool))
            if not ok:
                errors.append("%s: expected %s, got %s" % (where, t, type(value).__name__))
                return
        if "enum" in schema and value not in schema["enum"]:
            errors.append("%s: %r not one of %s" % (where, value, schema["enum"]))
        if t == "string" and "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append("%s: longer than %d" % (where, schema["maxLength"]))
        if t == "object" and where.endswith(".metadata"):
            for k, v in value.items():
                if not isinstance(v, dict):
                    errors.append("%s.%s: top-level metadata values must be objects" % (where, k))
        if t == "object" and "properties" in schema:
            props = schema["properties"]
            for k in schema.get("required", []):
                if k not in value:
                    errors.append("%s: %s is required" % (where, k))
            # A map keyed by ids (incident.components) is described by one example id.
            if len(props) == 1 and re.fullmatch(r"[a-z0-9]{12}", next(iter(props))):
                for k, v in value.items():
                    self.check(next(iter(props.values())), v, where + "." + k, errors)
                return
            for k, v in value.items():
                if k not in props:
                    errors.append("%s: unknown property %s" % (where, k))
                else:
                    self.check(props[k], v, where + "." + k, errors)
        if t == "array" and "items" in schema:
            for i, v in enumerate(value):
                self.check(schema["items"], v, "%s[%d]" % (where, i), errors)


class Emu:
    def __init__(self, page_id, key, rate, schema):
        self.lock = threading.Lock()
        self.page_id = page_id
        self.key = key
        self.rate = rate  # requests per second per key; 0: no limit
        self.schema = schema
        self.components = {}
        self.reset()

    def reset(self):
        self.incidents = []  # oldest first
        self.requests = []
        self.schema_errors = []
        self.rate_limited = 0
        self.faulted = 0
        self.fault = {"mode": "none"}
        self.next_allowed = 0.0

    def state(self):
        return {"page_id": self.page_id, "incidents": self.incidents,
                "components": list(self.components.values()), "requests": self.requests,
                "schema_errors": self.schema_errors, "rate_limited": self.rate_limited,
                "faulted": self.faulted, "fault": self.fault}

    def take_fault(self):
        """The fault for this request, if any (counting down its count)."""
        f = self.fault
        if f.get("mode", "none") == "none":
            return None
        c = f.get("count", -1)
        if c == 0:
            return None
        if c > 0:
            f["count"] = c - 1
        self.faulted += 1
        return dict(f)

    def find(self, iid):
        for inc in self.incidents:
            if inc["id"] == iid:
                return inc
        return None

    def component_list(self, ids):
        return [self.components[c] for c in ids if c in self.components]

    def apply_incident(self, inc, body, creating):
        """Applies an incident body; a status or body adds an incident update."""
        t = now_iso()
        for k in ("name", "impact_override", "metadata", "deliver_notifications"):
            if k in body:
                inc[k] = body[k]
        if "impact_override" in body:
            inc["impact"] = body["impact_override"]
        if "component_ids" in body:
            inc["component_ids"] = list(body["component_ids"])
        comps = body.get("components") or {}
        for cid, st in comps.items():
            if cid in self.components:
                self.components[cid]["status"] = st
                self.components[cid]["updated_at"] = t
        new_status = body.get("status", inc.get("status"))
        if creating or "status" in body or "body" in body:
            upd = {"id": new_id(), "incident_id": inc["id"], "status": new_status,
                   "body": body.get("body", ""), "created_at": t, "updated_at": t,
                   "display_at": t, "deliver_notifications": body.get("deliver_notifications", True),
                   "affected_components": [{"code": c, "new_status": s} for c, s in comps.items()]}
            inc["incident_updates"].insert(0, upd)  # newest first, like Statuspage
        inc["status"] = new_status
        if new_status == "monitoring" and not inc.get("monitoring_at"):
            inc["monitoring_at"] = t
        if new_status == "resolved" and not inc.get("resolved_at"):
            inc["resolved_at"] = t
        inc["updated_at"] = t
        inc["components"] = self.component_list(inc.get("component_ids", []))


def make_handler(emu, quiet):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            if not quiet:
                sys.stderr.write("statuspageemu: " + (fmt % args) + "\n")

        def send_json(self, code, obj, headers=None):
            data = b"" if obj is None else json.dumps(obj).encode()
            self.send_response(code)
            if obj is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def drop(self):
            """No answer at all: the connection closes."""
            self.close_connection = True
            try:
                self.wfile.flush()
                self.connection.shutdown(2)
            except OSError:
                pass

        def read_body(self):
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n > 0 else b""
            if not raw:
                return None, None
            try:
                return json.loads(raw), None
            except ValueError as e:
                return None, "body is not JSON: %s" % e

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_PATCH(self):
            self.handle_any("PATCH")

        def do_PUT(self):
            self.handle_any("PUT")

        def do_DELETE(self):
            self.handle_any("DELETE")

        def control(self, method, path):
            body, bad = self.read_body()
            if bad:
                return self.send_json(400, {"error": bad})
            with emu.lock:
                if path == "/_emu/state" and method == "GET":
                    return self.send_json(200, emu.state())
                if path == "/_emu/reset" and method == "POST":
                    emu.reset()
                    return self.send_json(200, {"ok": True})
                if path == "/_emu/fault" and method == "POST":
                    emu.fault = body or {"mode": "none"}
                    return self.send_json(200, {"ok": True})
                if path == "/_emu/components" and method == "POST":
                    for cid, name in (body or {}).items():
                        emu.components[cid] = {"id": cid, "page_id": emu.page_id, "name": name,
                                               "status": "operational", "description": None,
                                               "position": len(emu.components) + 1,
                                               "group_id": None, "group": False,
                                               "created_at": now_iso(), "updated_at": now_iso()}
                    return self.send_json(200, {"ok": True})
            return self.send_json(404, {"error": "no such control path"})

        def handle_any(self, method):
            path, _, query = self.path.partition("?")
            if path.startswith("/_emu/"):
                return self.control(method, path)
            body, bad = self.read_body()
            with emu.lock:
                rec = {"method": method, "path": path, "query": query, "at": time.time(),
                       "body": body}
                emu.requests.append(rec)
                fault = emu.take_fault()
            if fault:
                mode = fault.get("mode")
                rec["fault"] = mode
                if mode == "latency":
                    time.sleep(fault.get("latency_ms", 1000) / 1000.0)
                elif mode == "ratelimit":
                    ra = fault.get("retry_after")
                    return self.send_json(fault.get("status", 420),
                                          {"error": "Rate limit exceeded"},
                                          {"Retry-After": str(ra)} if ra is not None else None)
                elif mode == "error":
                    ra = fault.get("retry_after")
                    return self.send_json(fault.get("status", 500), {"error": "emulated failure"},
                                          {"Retry-After": str(ra)} if ra is not None else None)
                elif mode in ("hang", "down"):
                    if fault.get("commit"):
                        with emu.lock:
                            self.serve(method, path, query, body, bad, rec, answer=False)
                    if mode == "hang":
                        time.sleep(fault.get("hang_ms", 60000) / 1000.0)
                    return self.drop()
            with emu.lock:
                out = self.serve(method, path, query, body, bad, rec, answer=True)
            if out is not None:
                code, obj, headers = out
                rec["status"] = code
                self.send_json(code, obj, headers)

        def serve(self, method, path, query, body, bad, rec, answer):
            """Carries a request out (emu.lock held); (code, body, headers) to answer."""
            auth = self.headers.get("Authorization", "")
            if auth != "OAuth " + emu.key:
                return 401, {"error": "Could not authenticate"}, None
            if answer and emu.rate > 0:
                t = time.time()
                # 50 ms of slack for clock granularity; the client should pace at 1/s.
                if t + 0.05 < emu.next_allowed:
                    emu.rate_limited += 1
                    return 420, {"error": "Rate limit exceeded"}, {"Retry-After": "1"}
                emu.next_allowed = max(t, emu.next_allowed) + 1.0 / emu.rate
            prefix = "/v1/pages/" + emu.page_id
            if not path.startswith(prefix + "/"):
                return 404, {"error": "page not found"}, None
            parts = path[len(prefix) + 1:].split("/")
            if bad:
                return 400, {"error": bad}, None
            tp = list(parts)
            if len(tp) > 1:
                tp[1] = "{incident_id}" if parts[0] == "incidents" else "{component_id}"
            template = "/pages/{page_id}/" + "/".join(tp)
            if method in ("POST", "PATCH", "PUT") and emu.schema is not None:
                schema, why = emu.schema.body_schema(template, method)
                errors = [why] if why else []
                if schema is not None:
                    if body is None:
                        errors.append("a request body is required")
                    else:
                        emu.schema.check(schema, body, "body", errors)
                if errors:
                    emu.schema_errors.append({"method": method, "path": path, "errors": errors})
                    return 400, {"error": "; ".join(errors)}, None
            return self.route(method, parts, query, body or {})

        def route(self, method, parts, query, body):
            if parts[0] == "components":
                if len(parts) == 1 and method == "GET":
                    return 200, list(emu.components.values()), None
                if len(parts) == 2:
                    c = emu.components.get(parts[1])
                    if c is None:
                        return 404, {"error": "component not found"}, None
                    if method in ("PATCH", "PUT"):
                        st = body.get("component", {}).get("status")
                        if st is not None:
                            if st not in COMPONENT_STATUSES:
                                return 422, {"error": "bad status"}, None
                            c["status"] = st
                            c["updated_at"] = now_iso()
                        return 200, c, None
                    if method == "GET":
                        return 200, c, None
                return 405, {"error": "method not allowed"}, None
            if parts[0] != "incidents":
                return 404, {"error": "not found"}, None
            if len(parts) == 1:
                if method == "GET":
                    q = dict(kv.partition("=")[::2] for kv in query.split("&") if kv)
                    limit = min(int(q.get("limit", "100") or 100), 100)
                    page = max(int(q.get("page", "1") or 1), 1)
                    newest = list(reversed(emu.incidents))
                    return 200, newest[(page - 1) * limit:page * limit], None
                if method == "POST":
                    b = body.get("incident", {})
                    if not b.get("name"):
                        return 422, {"error": "name can't be blank"}, None
                    t = now_iso()
                    inc = {"id": new_id(), "page_id": emu.page_id, "name": "",
                           "status": "investigating", "impact": "none",
                           "impact_override": None, "created_at": t, "updated_at": t,
                           "monitoring_at": None, "resolved_at": None,
                           "shortlink": "https://stspg.io/" + new_id()[:6],
                           "metadata": {}, "components": [], "component_ids": [],
                           "incident_updates": [], "postmortem_body": None,
                           "postmortem_body_draft": None, "postmortem_published_at": None}
                    emu.incidents.append(inc)
                    emu.apply_incident(inc, b, True)
                    return 201, inc, None
                return 405, {"error": "method not allowed"}, None
            inc = emu.find(parts[1])
            if inc is None:
                return 404, {"error": "incident not found"}, None
            if len(parts) == 2:
                if method == "GET":
                    return 200, inc, None
                if method in ("PATCH", "PUT"):
                    emu.apply_incident(inc, body.get("incident", {}), False)
                    return 200, inc, None
                if method == "DELETE":
                    # As documented: 200 with the incident as it was; it is gone after.
                    emu.incidents.remove(inc)
                    return 200, inc, None
                return 405, {"error": "method not allowed"}, None
            if parts[2] == "postmortem":
                if len(parts) == 3 and method == "PUT":
                    inc["postmortem_body_draft"] = body.get("postmortem", {}).get("body_draft")
                    return 200, {"body_draft": inc["postmortem_body_draft"]}, None
                if len(parts) == 3 and method == "GET":
                    return 200, {"body_draft": inc["postmortem_body_draft"],
                                 "body": inc["postmortem_body"],
                                 "published_at": inc["postmortem_published_at"]}, None
                if len(parts) == 4 and parts[3] == "publish" and method == "PUT":
                    if inc["postmortem_body_draft"] is None:
                        return 422, {"error": "no postmortem draft"}, None
                    inc["postmortem_body"] = inc["postmortem_body_draft"]
                    inc["postmortem_published_at"] = now_iso()
                    return 200, {"body": inc["postmortem_body"],
                                 "published_at": inc["postmortem_published_at"]}, None
            return 404, {"error": "not found"}, None

    return H


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--page-id", default="emupage00001")
    ap.add_argument("--key", default="emu-api-key")
    ap.add_argument("--rate", type=float, default=1.0, help="requests/s per key; 0: no limit")
    ap.add_argument("--spec", help="the OpenAPI description to check request bodies against")
    ap.add_argument("--component", action="append", default=[], metavar="ID=NAME")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    emu = Emu(a.page_id, a.key, a.rate, Schema(a.spec) if a.spec else None)
    for c in a.component:
        cid, _, name = c.partition("=")
        emu.components[cid] = {"id": cid, "page_id": a.page_id, "name": name or cid,
                               "status": "operational", "description": None, "position": 1,
                               "group_id": None, "group": False, "created_at": now_iso(),
                               "updated_at": now_iso()}
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(emu, a.quiet))
    srv.daemon_threads = True
    print("http://127.0.0.1:%d/v1" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
