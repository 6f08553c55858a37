"""Shared pieces of the end-to-end tests: HTTP calls to slackemu's control API and to the
bot, waiting for a condition, free ports, and starting slackemu and incidentd."""
import json
import os
import re
import socket
import subprocess
import time
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


def start_incidentd(incidentd, tmp, emu_base, log_name, slack_config=""):
    """Starts incidentd against slackemu with its database in tmp; (process, HTTP base URL).
    slack_config: more lines for the [slack] table."""
    port = free_port()
    cfg = os.path.join(tmp, "incidentd.toml")
    with open(cfg, "w") as f:
        f.write('[slack]\napi_base_url = "%s/api/"\nconnections = 2\n'
                'call_timeout_seconds = 2\n%s'
                '[store]\npath = "%s"\n[http]\nlisten = "127.0.0.1:%d"\n[log]\nlevel = "debug"\n'
                % (emu_base, slack_config, os.path.join(tmp, "incidentd.db"), port))
    log = open(os.path.join(tmp, log_name), "w")
    proc = subprocess.Popen([incidentd, "run", "-c", cfg], env=dict(os.environ, **BOT_ENV),
                            stdout=log, stderr=log)
    return proc, "http://127.0.0.1:%d" % port
