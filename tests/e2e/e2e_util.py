"""Shared pieces of the end-to-end tests: HTTP calls to slackemu's control API and to the
bot, waiting for a condition, free ports, and starting slackemu and incidentd (each with a
free port for its public listener, the status page, and one for its internal listener,
/healthz and /metrics)."""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request

BOT_ENV = {"SLACK_BOT_TOKEN": "xoxb-1111-2222-e2eBoTtOkEn",
           "SLACK_APP_TOKEN": "xapp-1-A0EMU-3333-e2eApPtOkEn"}


def call(base, path, body=None, headers=None):
    """GET (body None) or POST JSON to base+path; the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET",
                                 headers=h)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def wait_for(pred, timeout=15.0):
    """pred()'s first true value within timeout seconds, else None."""
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def free_ports(n):
    """n distinct free ports (held open together while they are picked), below the kernel's
    ephemeral range: a port the kernel handed out for binding may go to the next outgoing
    connection (the bot's own, to slackemu) before the bot listens on it."""
    import random
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    socks = []
    try:
        while len(socks) < n:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", random.randrange(max(1024, low - 12000), low)))
                socks.append(s)
            except OSError:
                s.close()
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def start_slackemu(slackemu, tmp, *extra):
    """Starts slackemu on a free port; (process, base URL)."""
    emu = subprocess.Popen([slackemu, "--port", "0", "--quiet"] + list(extra),
                           stdout=subprocess.PIPE,
                           stderr=open(os.path.join(tmp, "emu.log"), "w"), text=True)
    line = emu.stdout.readline()
    m = re.search(r"(https?://127\.0\.0\.1:\d+)", line)
    if not m:
        emu.kill()
        raise RuntimeError("slackemu did not print its address: %r" % line)
    return emu, m.group(1)


class BotURL(str):
    """The base URL of a bot's public listener ("http://127.0.0.1:PORT": the status page),
    usable wherever a string is; .internal is the base URL of its internal listener, where
    /healthz and /metrics are (they answer 404 on the public one)."""

    def __new__(cls, public, internal):
        u = super().__new__(cls, public)
        u.internal = internal
        return u


def http_config(port, internal_port):
    """The [http] table of a test's configuration: both listeners on loopback."""
    return ('[http]\nlisten = "127.0.0.1:%d"\ninternal_listen = "127.0.0.1:%d"\n'
            % (port, internal_port))


def http_status(url, method="GET"):
    """The HTTP status code of a request (an error status is returned, not raised)."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def start_incidentd(incidentd, tmp, emu_base, log_name, slack_config="", extra_config="",
                    http_config_extra="", prefix=(), call_timeout=2):
    """Starts incidentd against slackemu with its database in tmp; (process, BotURL: the public
    HTTP base URL, .internal the internal one). slack_config: more lines for the [slack]
    table; extra_config: more tables at the end; http_config_extra: more lines for the [http]
    table; prefix: a command that runs incidentd (e.g. ["prlimit", "--nofile=1024", "--"]);
    call_timeout: [slack] call_timeout_seconds."""
    port, internal_port = free_ports(2)
    cfg = os.path.join(tmp, "incidentd.toml")
    with open(cfg, "w") as f:
        f.write('[slack]\napi_base_url = "%s/api/"\nconnections = 2\n'
                'call_timeout_seconds = %d\n%s'
                '[store]\npath = "%s"\n%s[log]\nlevel = "debug"\n%s'
                % (emu_base, call_timeout, slack_config, os.path.join(tmp, "incidentd.db"),
                   http_config(port, internal_port) + http_config_extra, extra_config))
    log = open(os.path.join(tmp, log_name), "w")
    proc = subprocess.Popen(list(prefix) + [incidentd, "run", "-c", cfg], env=dict(os.environ, **BOT_ENV),
                            stdout=log, stderr=log)
    return proc, BotURL("http://127.0.0.1:%d" % port, "http://127.0.0.1:%d" % internal_port)


# ---- additions for the scenario tests (declare_e2e.py) ----

BOT_AUTH = {"Authorization": "Bearer " + BOT_ENV["SLACK_BOT_TOKEN"]}


def emu_state(base):
    """slackemu's whole state (/_emu/state)."""
    return call(base, "/_emu/state")


def slash(base, user, channel, text, command="/incident"):
    """A user types `command text` in channel; slackemu's answer (envelope_id, response_url...).
    Raises when slackemu could not deliver it (no Socket Mode link)."""
    r = call(base, "/_emu/slash", {"user_id": user, "channel_id": channel, "command": command,
                                   "text": text})
    if not r.get("ok"):
        raise RuntimeError("slash %r not delivered: %r" % (text, r))
    return r


def url_path(url):
    """The path of a response_url as /_emu/state's interactions show it."""
    return re.sub(r"^https?://[^/]+", "", url)


def response_posts(state, response_url):
    """The bodies the bot POSTed to response_url, oldest first (from the state's interactions)."""
    path = url_path(response_url)
    return [i.get("body") or {} for i in state.get("interactions", [])
            if i.get("kind") == "response_url" and i.get("response_url") == path]


def wait_response(base, response_url, count=1, timeout=20.0):
    """The first `count` bodies POSTed to response_url, waiting up to timeout; None if fewer."""
    return wait_for(lambda: (lambda p: p[:count] if len(p) >= count else None)(
        response_posts(emu_state(base), response_url)), timeout)


def db_rows(db, sql, args=()):
    """Rows of a read-only query on the bot's SQLite file (safe while the bot runs: WAL)."""
    import sqlite3
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def bot_idle(db):
    """True when every stored envelope is processed and no effect waits in the outbox."""
    return db_rows(db, "SELECT (SELECT count(*) FROM inbox WHERE state IN ('pending',"
                   " 'processing')) + (SELECT count(*) FROM outbox WHERE state IN"
                   " ('pending', 'sending'))")[0][0] == 0


def directory_synced(db):
    """Whether the bot at db has synced the workspace's users once (or predates the sync)."""
    if not os.path.exists(db):
        return False
    if not db_rows(db, "SELECT count(*) FROM sqlite_master WHERE name = 'directory_syncs'")[0][0]:
        return True
    return db_rows(db, "SELECT count(*) FROM directory_syncs WHERE directory = 'users'")[0][0] == 1


def log_tail(path, lines=40):
    """The last lines of a log file ("" when it does not exist)."""
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-lines:])


# ---- additions for the plan scenarios (plan_e2e.py): reading Slack's state ----

EMU_BOT_USER = "U0EMUB0TUSR"  # the bot user of slackemu's built-in workspace


def channel_by_id(st, cid):
    """The channel cid of a /_emu/state answer (None when there is none)."""
    return next((c for c in st["channels"] if c["id"] == cid), None)


def block_ids(msg):
    return [b.get("block_id") for b in msg.get("blocks") or []]


def action_ids(msg):
    """action_ids of the buttons and selects of a message: in actions blocks and accessories."""
    out = []
    for b in msg.get("blocks") or []:
        for e in b.get("elements") or []:
            if isinstance(e, dict) and e.get("action_id"):
                out.append(e["action_id"])
        acc = b.get("accessory")
        if isinstance(acc, dict) and acc.get("action_id"):
            out.append(acc["action_id"])
    return out


def bot_messages(ch, bot=EMU_BOT_USER):
    """Top-level and thread messages the bot posted in a channel of the state, oldest first."""
    return [m for m in (ch or {}).get("messages", []) if m.get("user") == bot and m.get("bot_id")]


def top_level(msgs):
    return [m for m in msgs if not m.get("thread_ts") or m.get("thread_ts") == m.get("ts")]


def thread_replies(ch, ts):
    """Messages of a channel in the thread under ts (not ts itself), oldest first."""
    return [m for m in (ch or {}).get("messages", [])
            if m.get("thread_ts") == ts and m.get("ts") != ts]


def message_text(msg):
    """A message's text and every text of its blocks, joined by newlines (for searching)."""
    out = [msg.get("text") or ""]

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "text" and isinstance(v, str):
                    out.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(msg.get("blocks") or [])
    return "\n".join(out)


def pinned(ch):
    """The messages pinned in a channel of the state."""
    return [m for m in (ch or {}).get("messages", []) if ch["id"] in (m.get("pinned_to") or [])]


def control_field(msg, label):
    """The value of a field ("*IRM*\\n<@U1>") of a control message's summary section."""
    for b in msg.get("blocks") or []:
        for f in b.get("fields") or []:
            t = f.get("text", "")
            if t.startswith("*%s*\n" % label):
                return t.split("\n", 1)[1]
    return None


# ---- scenarios run side by side: a failed check is recorded and the scenario goes on ----

failures = []  # "scenario: what" of every failed check of this process
_failures_lock = threading.Lock()


def check(cond, scenario, what):
    """Records a failure of scenario when cond is false; returns whether it held."""
    if not cond:
        with _failures_lock:
            failures.append("%s: %s" % (scenario, what))
            print("FAIL [%s] %s" % (scenario, what), file=sys.stderr, flush=True)
    return bool(cond)


def stop_bot(bot, scenario, timeout=30):
    """Stops incidentd with SIGTERM and checks it exits cleanly (status 0) in time."""
    bot.terminate()
    try:
        rc = bot.wait(timeout=timeout)
        check(rc == 0, scenario, "incidentd exits cleanly (%r)" % rc)
    except subprocess.TimeoutExpired:
        bot.kill()
        bot.wait()
        check(False, scenario, "incidentd did not stop")


def run_scenario(name, fn, *args):
    """Runs fn(*args); an exception is a failed check of scenario name, the others go on."""
    t0 = time.time()
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - an exception is a failed scenario, the others go on
        check(False, name, "raised:\n" + traceback.format_exc())
    print("scenario %s: %.1f s" % (name, time.time() - t0), flush=True)


def run_side_by_side(title, scenarios):
    """Runs each (name, fn) of scenarios in a thread of its own, then prints the failures;
    returns the process's exit status."""
    t0 = time.time()
    threads = [threading.Thread(target=run_scenario, args=(n, f)) for n, f in scenarios]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("%s: %.0f s, %d failed" % (title, time.time() - t0, len(failures)))
    for f in failures:
        print("  FAILED " + f.splitlines()[0])
    return 1 if failures else 0
