#!/usr/bin/env python3
"""End-to-end over TLS: slackemu serves https:// and wss:// with a certificate from a test
CA made here with openssl; incidentd, given that CA as [slack] ca_file, verifies it on
every connection (apps.connections.open, the Socket Mode links, the response_url), comes
up and answers /incident help. Without the CA it must refuse the connection and keep
running.

usage: tls_e2e.py path/to/incidentd path/to/slackemu
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

from e2e_util import call, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_certs(tmp):
    """A CA, and a certificate for 127.0.0.1 signed by it; paths (ca, cert, key)."""
    ca_key, ca, key, csr, cert = (os.path.join(tmp, n) for n in
                                  ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
            "-days", "2", "-subj", "/CN=incidentd test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=127.0.0.1")
    ext = os.path.join(tmp, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key


def stop(p):
    if p and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return None


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-tls-")
    ca, cert, key = make_certs(tmp)
    emu, base = start_slackemu(SLACKEMU, tmp, "--tls-cert", cert, "--tls-key", key)
    ctx = __import__("ssl").create_default_context(cafile=ca)
    bot = None
    try:
        check(base.startswith("https://"), "slackemu serves https: %s" % base)

        def tcall(path, body=None):
            import json
            import urllib.request
            data = None if body is None else json.dumps(body).encode()
            req = urllib.request.Request(base + path, data=data,
                                         method="POST" if data else "GET",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
                return json.loads(r.read())

        # Without the test CA the certificate is not trusted: no link, and the bot runs on.
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "untrusted.log")
        time.sleep(3)
        check(bot.poll() is None and len(tcall("/_emu/state")["connections"]) == 0,
              "an untrusted certificate is refused and the bot keeps running")
        check(stop(bot) == 0, "stopped cleanly")
        with open(os.path.join(tmp, "untrusted.log")) as f:
            log = f.read()
        check("connect_failed" in log and "certificate" in log.lower(),
              "the refused connection is logged as a certificate problem")

        # With the CA: everything over TLS, verified.
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "trusted.log",
                                 'ca_file = "%s"\n' % ca)
        check(wait_for(lambda: len(tcall("/_emu/state")["connections"]) == 2),
              "two wss:// links with the certificate verified against ca_file")
        r = tcall("/_emu/slash", {"user_id": "U0ALICE0001", "channel_id": "C0GENERAL01",
                                  "command": "/incident", "text": "help"})
        check(r.get("response_url", "").startswith("https://"), "response_url is https: %r" % r)
        eph = wait_for(lambda: [m for m in tcall("/_emu/state")["ephemeral"]
                                if m.get("recipient") == "U0ALICE0001"])
        check(eph and "`/incident help [command]`" in eph[0]["text"],
              "help answered through the https response_url: %r" % eph)
        check(stop(bot) == 0, "stopped cleanly")
        bot = None
    finally:
        for p in (bot, emu):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if failures:
            for name in ("untrusted.log", "trusted.log", "emu.log"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    with open(path) as f:
                        sys.stderr.write("---- %s (tail)\n%s" % (name, "".join(f.readlines()[-25:])))
        subprocess.run(["rm", "-rf", tmp])
    print("%d failed" % len(failures))


if __name__ == "__main__":
    main()
    sys.exit(1 if failures else 0)
