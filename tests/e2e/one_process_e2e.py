#!/usr/bin/env python3
"""One process per database (issue 15): a second `incidentd run` or `incidentd console` on the
database another incidentd holds stops at once, naming that process; once the holder is gone,
even by kill -9, the database can be opened again.

Usage: one_process_e2e.py <incidentd binary>
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

failures = []


def check(cond, what):
    print("%s %s" % ("ok  " if cond else "FAIL", what))
    if not cond:
        failures.append(what)
    return cond


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="incidentd-one-")
    db = os.path.join(work, "i.db")
    cfg = os.path.join(work, "c.toml")
    with open(cfg, "w") as f:
        f.write('[store]\npath = "%s"\n[http]\nlisten = "127.0.0.1:0"\n'
                'internal_listen = "127.0.0.1:0"\n' % db)
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-1-not-real", SLACK_APP_TOKEN="xapp-1-not-real")

    # The holder: a console waiting on its input.
    holder = subprocess.Popen([binary, "console", "-c", cfg], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work, env=env)
    deadline = time.time() + 30
    while time.time() < deadline and not os.path.exists(db + ".lock"):
        time.sleep(0.1)
    time.sleep(1.0)
    try:
        check(holder.poll() is None, "the first process runs")
        for cmd in (["console", "-c", cfg], ["run", "-c", cfg]):
            p = subprocess.run([binary] + cmd, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, cwd=work, env=env, timeout=30)
            err = p.stderr
            check(p.returncode != 0, "%s: a second process exits with an error (%d)"
                  % (cmd[0], p.returncode))
            check("is in use by another incidentd (process %d" % holder.pid in err,
                  "%s: the error names the holder's process: %r" % (cmd[0], err[-400:]))
        check(holder.poll() is None, "the first process is unharmed")
        with open(db + ".lock") as f:
            check(f.read().strip() == str(holder.pid), "the lock file holds the holder's pid")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
        holder.stderr.close()

    # Killed: the kernel dropped its lock; a new process starts and quits cleanly.
    p = subprocess.run([binary, "console", "-c", cfg], input="/quit\n", capture_output=True,
                       text=True, cwd=work, env=env, timeout=60)
    check(p.returncode == 0 and "in use by another" not in p.stderr,
          "after kill -9 of the holder the database opens again (%d): %r"
          % (p.returncode, p.stderr[-300:]))
    if failures:
        print("one_process_e2e: %d failed" % len(failures))
        sys.exit(1)
    print("one_process_e2e: ok")


if __name__ == "__main__":
    main()
