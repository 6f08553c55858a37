#!/usr/bin/env python3
"""End-to-end: `incidentd console` (issue 8), the unmodified binary with a script on stdin.

1. examples/outage.txt runs through console mode on a fresh database: the transcript must show
   each of the nine steps happen (channel, roles, publish, support, notes, statuses, postmortem,
   follow-ups, close), no console error line, and a clean exit.
2. The console starts again on the same database with stdin a pipe: the status page it serves
   must show the published incident, resolved with its postmortem, in /api/v2/incidents.json
   and summary.json; then the end of input ends it cleanly.
3. A stored reminder appears when it falls due (/wait lets a minute pass).
4. Bad input: unknown console commands, a button number that is not shown, a menu clicked
   without a choice, /as and /in with unknown names, a chat line, a form left by the end of
   input: each answered with a clear message, nothing created, the database consistent.
5. The declare form with the severity and the start time left empty: the suggestion applies
   (the whole product, 80 %: critical) and the unknown start is not flagged.

usage: console_e2e.py path/to/incidentd path/to/examples/outage.txt
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

from e2e_util import free_ports, http_status

INCIDENTD, SCRIPT = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def write_config(tmp, port, internal_port):
    path = os.path.join(tmp, "console.toml")
    with open(path, "w") as f:
        f.write(f"""
[store]
path = "{tmp}/console.db"
fsync_every_commit = false

[http]
listen = "127.0.0.1:{port}"
internal_listen = "127.0.0.1:{internal_port}"

[statuspage]
title = "Example status"

[[statuspage.components]]
name = "Checkout"
""")
    return path


def run_console(config, stdin_text, timeout=240):
    p = subprocess.run([INCIDENTD, "console", "-c", config], input=stdin_text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def get_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return json.loads(r.read())


def count(db, sql):
    c = sqlite3.connect(db)
    try:
        return c.execute(sql).fetchone()[0]
    finally:
        c.close()


def outage(tmp, port, config):
    with open(SCRIPT) as f:
        script = f.read()
    rc, out, err = run_console(config, script)
    with open(os.path.join(tmp, "transcript.txt"), "w") as f:
        f.write(out)
    check(rc == 0, f"the outage script exits 0 (got {rc}; stderr {err[-500:]!r})")
    check("!!" not in out, "no console error in the outage transcript: "
          + "; ".join(l for l in out.splitlines() if "!!" in l)[:800])
    # Steps in order; within a step the order is free (replies and channel posts travel in
    # different delivery lanes, as they do with Slack).
    steps = [
        ["is declared (severity critical)", "incidentd created the public channel #inc-"],
        ["@bob is now the IRM (assigned by @bob)", "@erin is now the technical liaison",
         "@carol is now the support liaison"],
        ["*Preview: INC-1 on the public status page*"],
        ["@bob published INC-1 on the status page"],
        ["-- #support · incidentd", "customer-facing summary from @carol"],
        [":memo: Note by @erin: Error rate jumped"],
        ["== form: Mark identified"],
        ["@bob marked INC-1 *identified*.",
         "*Public message:* A faulty deploy of the payments service broke card payments"],
        ["Severity changed from critical to major by @bob"],
        ["@bob marked INC-1 *monitoring*."],
        ["@bob moved INC-1 back from monitoring to *identified*.",
         "*Public message:* Card payment errors are back"],
        [":memo: Note by @erin: The payment provider's client certificate"],
        ["@bob marked INC-1 *monitoring*."],
        ["@bob marked INC-1 *resolved*."],
        ["== form: Public postmortem"],
        ["*Preview: the postmortem of INC-1 on the public status page*"],
        ["The postmortem of INC-1 is published on the status page."],
        ["*Internal postmortem draft of INC-1*"],
        ["Follow-up 1 added by @bob: Add a canary stage to payments deploys (owner @erin)"],
        ["Follow-up 2 done by @bob"],
        ["Done: INC-1 is closed."],
        ["*Timeline of INC-1: Checkout fails for all customers*"],
        ["-- bye"],
    ]
    pos = 0
    for group in steps:
        found = []
        for e in group:
            i = out.find(e, pos)
            if check(i >= 0, f"transcript shows, after the step before: {e!r}"):
                found.append(i)
        if found:
            pos = min(found)
    # edits are shown as edits (only the lines that changed), ephemerals marked, buttons numbered
    lines = out.splitlines()
    edits = [i for i, l in enumerate(lines) if l == "   (edited)"]
    check(edits, "an edited message is shown as an edit")
    check(all(i + 1 < len(lines) and lines[i + 1].startswith(("   - ", "   + ")) for i in edits),
          "an edit prints its changed lines as '   - ' and '   + '")
    check("(edited: the message above now reads)" not in out,
          "an edit prints what changed, not the whole message again")
    check(out.count("== INC-1: Checkout fails for all customers ==") == 1,
          "the control message's unchanged title is printed once, not again with each edit")
    check("\n   + [1] " in out, "the first button keeps its number [1] across edits")
    check("only @bob sees this" in out, "ephemeral replies are marked")
    check("[1] Take IRM" in out, "buttons carry numbers")
    # a due date renders as a date, never as a raw epoch number
    check("(due 20" in out, "follow-up due dates render as dates")
    # all nine steps ended done (none skipped, none open)
    db = os.path.join(tmp, "console.db")
    check(count(db, "SELECT count(*) FROM incidents WHERE status = 'closed'") == 1,
          "the incident is closed in the database")
    check(count(db, "SELECT count(*) FROM inbox WHERE state != 'done'") == 0,
          "every input was processed")
    check(count(db, "SELECT count(*) FROM outbox WHERE state NOT IN ('done')") == 0,
          "every effect was delivered to the console's workspace")
    return out


def page(tmp, port, internal_port, config):
    """The same database served again; the page shows the incident, /healthz is on the internal
    listener only; end of input ends it."""
    p = subprocess.Popen([INCIDENTD, "console", "-c", config], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        summary = None
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                summary = get_json(port, "/api/v2/summary.json")
                break
            except OSError:
                time.sleep(0.2)
        if not check(summary is not None, "the console serves the status page"):
            return
        incidents = get_json(port, "/api/v2/incidents.json")["incidents"]
        check(len(incidents) == 1, f"one published incident on the page (got {len(incidents)})")
        if incidents:
            inc = incidents[0]
            check(inc["name"] == "Checkout fails for all customers", f"its name ({inc['name']!r})")
            check(inc["status"] in ("resolved", "postmortem"),
                  f"resolved or postmortem on the page (got {inc['status']!r})")
            check(inc["impact"] == "major", f"impact follows the severity change ({inc['impact']!r})")
            # the postmortem as Statuspage carries it: the incident's own, not an update
            check("canary stage first" in (inc.get("postmortem_body") or "") and
                  inc.get("postmortem_published_at"), "the postmortem in incidents.json")
            check(all(u["status"] != "postmortem" for u in inc["incident_updates"]),
                  "the postmortem is not one more update")
            check("Error rate jumped" not in json.dumps(inc), "no note on the page")
            bodies = " | ".join(u["body"] for u in inc["incident_updates"])
            for b in ("We are investigating failed payments at checkout.",
                      "A faulty deploy of the payments service broke card payments",
                      "The rollback is done", "Card payment errors are back",
                      "The certificate is renewed", "Card payments have worked normally"):
                check(b in bodies, f"public update on the page: {b!r}")
            # the failed fix in order, oldest first: back to identified, then on again
            statuses = []
            for u in reversed(inc["incident_updates"]):
                if not statuses or statuses[-1] != u["status"]:
                    statuses.append(u["status"])
            check(statuses == ["investigating", "identified", "monitoring", "identified",
                               "monitoring", "resolved"], f"statuses on the page: {statuses}")
        check(summary["incidents"] == [], "nothing open in summary.json after the close")
        check(summary["status"]["indicator"] == "none", "the page's indicator is back to none")
        html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
        check("Checkout fails for all customers" in html, "the HTML page lists the incident")
        html = urllib.request.urlopen(f"http://127.0.0.1:{port}/incidents/INC-1",
                                      timeout=5).read().decode()
        check('<section class="pm" id="postmortem">' in html and "Postmortem published" in html
              and "<h4>What happened</h4>" in html,
              "the incident's page shows the postmortem in its own section")
        health = get_json(internal_port, "/healthz")
        check(health.get("slack") == "console" and health.get("database") == "ok",
              f"the internal listener serves /healthz ({health!r})")
        check(http_status(f"http://127.0.0.1:{port}/healthz") == 404,
              "/healthz is not on the public listener")
        out, err = p.communicate(b"", timeout=30)  # end of input: a clean exit
        check(p.returncode == 0, f"end of input exits 0 (got {p.returncode})")
        check("-- bye" in out.decode(), "the console says goodbye")
        check(f"-- status page: http://127.0.0.1:{port}/" in out.decode() and
              f"http://127.0.0.1:{internal_port}/healthz" in out.decode(),
              "the console says where both listeners are")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def bad_input(tmp, port, config):
    db = os.path.join(tmp, "console.db")
    before = count(db, "SELECT count(*) FROM incidents")
    script = "\n".join([
        "/frobnicate now",
        "hello everyone",
        "999",
        "12x",
        "/as @nobody",
        "/in #no-such-channel",
        "/in INC-77",
        "/wait soon",
        "/click No such button",
        "/incident declare",            # opens the form; its first answer is left empty ...
        "",                             # ... a required title: asked again
        "/incident list",               # a command typed into the form is not its answer
        "/cancel",                      # the form is closed, nothing declared
        "/incident declare Database is slow",  # then one declared for real, by text
        "/in last",
        "/click Severity",              # a menu clicked without a choice
        "/click Severity: catastrophic",  # ... or with one that is not an option
        "/incident severity",           # the bot's own usage error
        "/incident declare",            # and a form the end of input interrupts
        "Half a title",
    ]) + "\n"
    rc, out, err = run_console(config, script)
    with open(os.path.join(tmp, "bad.txt"), "w") as f:
        f.write(out)
    check(rc == 0, f"bad input still ends cleanly (got {rc}; stderr {err[-300:]!r})")
    for e in ["!! unknown command /frobnicate",
              "!! the console does not post chat messages",
              "!! there is no button or menu [999] on screen",
              "!! \"12x\" is not a number",
              "!! /as needs a person of the workspace",
              "!! no channel #no-such-channel",
              "!! INC-77 does not exist",
              "!! /wait needs seconds",
              "!! no button or menu labelled \"No such button\"",
              "form closed; nothing was sent and nothing changed",
              "!! that looks like a command, not an answer",
              "is a menu: add one of its options",
              "-- bye"]:
        check(e in out, f"bad input answered: {e!r}")
    check(out.count("form closed; nothing was sent") == 2,
          "both the cancelled and the interrupted form say nothing was sent")
    after = count(db, "SELECT count(*) FROM incidents")
    check(after == before + 1, f"only the one real declare created an incident ({before} -> {after})")
    check(count(db, "PRAGMA integrity_check") == "ok", "the database is consistent")
    check(count(db, "SELECT count(*) FROM inbox WHERE state != 'done'") == 0,
          "every input that reached the bot was processed")


def reminders(tmp):
    """A stored reminder appears in the console when it falls due (here: no IRM after 1 min)."""
    d = os.path.join(tmp, "rem")
    os.mkdir(d)
    config = write_config(d, *free_ports(2))
    with open(config, "a") as f:
        f.write("\n[reminders]\nirm_unclaimed_minutes = 1\n")
    rc, out, err = run_console(config, "/incident declare Search is slow\n/wait 65\n/quit\n")
    check(rc == 0, f"the reminder run exits 0 (got {rc}; {err[-300:]!r})")
    wait_at = out.find("/wait 65")
    due_at = out.find(":hourglass: INC-1 has had no IRM for 1 minutes")
    check(wait_at >= 0 and due_at > wait_at,
          "the IRM reminder appears while the console waits, not before")


def declare_form(tmp):
    """The declare form asked question by question, with the severity and the start time left
    empty: the severity is the suggestion (the whole product, 80 %: critical), and the unknown
    start is not judged by the incident definition."""
    d = os.path.join(tmp, "form")
    os.mkdir(d)
    config = write_config(d, *free_ports(2))
    script = "\n".join([
        "/incident declare",
        "Everything is down",  # title
        "",                    # description
        "The whole product",   # scope
        "80",                  # customers affected (%)
        "",                    # breach
        "",                    # severity: the suggestion
        "",                    # start: unknown
        "",                    # affected users
        "",                    # components (the configured Checkout is offered): none
        "/quit",
    ]) + "\n"
    rc, out, err = run_console(config, script)
    check(rc == 0, f"the form run exits 0 (got {rc}; {err[-300:]!r})")
    check("Leave empty to use the suggestion" in out and "Leave empty when unknown" in out,
          "the form says what an empty severity and an empty start mean")
    check("*INC-1: Everything is down* is declared (severity critical)" in out,
          "an empty severity is the suggestion: critical")
    check("smaller than an incident" not in out, "an unknown start is not flagged")
    db = os.path.join(d, "console.db")
    check(count(db, "SELECT severity || ' ' || status || ' ' || below_threshold FROM incidents")
          == "critical investigating 0", "recorded as a critical incident, not below the definition")


def main():
    with tempfile.TemporaryDirectory(prefix="console_e2e.") as tmp:
        port, internal_port = free_ports(2)
        config = write_config(tmp, port, internal_port)
        outage(tmp, port, config)
        page(tmp, port, internal_port, config)
        bad_input(tmp, port, config)
        reminders(tmp)
        declare_form(tmp)
        if failures:
            print(f"{len(failures)} check(s) failed; transcripts in {tmp} are removed",
                  file=sys.stderr)
            for name in ("transcript.txt", "bad.txt"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    with open(path) as f:
                        sys.stderr.write(f"---- {name} (last 60 lines)\n")
                        sys.stderr.write("".join(f.readlines()[-60:]))
            return 1
    print("console_e2e: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
