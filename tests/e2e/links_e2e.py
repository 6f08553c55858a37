#!/usr/bin/env python3
"""End-to-end: Slack's `too_many_websockets` never leaves the bot without a link (issue 15,
deliverable 6).

one_of_two: slackemu refuses one of the bot's two links (`disconnect` too_many_websockets,
then closes it); the other link is kept and keeps delivering. Right after, slackemu asks that
other link to refresh (`refresh_requested`, closed 2 s later): its replacement must be opened
at once although a link was just refused (the bot waits 30 s before growing back to two, but
must not wait to replace a link that worked): it must be there within 2 s. Slash commands sent
every 250 ms meanwhile are all delivered (slackemu finds a link for each), acked in time and
processed.

every_link: every link is refused at once; the bot must be back with a link within a few
seconds (the ordinary backoff), not after the 30 s too_many_websockets wait, and the
commands sent then are acked and processed.

usage: links_e2e.py path/to/incidentd path/to/slackemu
"""
import os
import shutil
import sys
import tempfile
import time

from e2e_util import (call, check, db_rows, directory_synced, failures, log_tail,
                      run_side_by_side, start_incidentd, start_slackemu, stop_bot, wait_for)

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]


def open_links(base):
    return [c for c in call(base, "/_emu/state")["connections"] if c.get("state") != "closing"]


def send_for(base, name, seconds, sent):
    """/incident help every 250 ms for seconds; each must find a link (slackemu says ok)."""
    end = time.time() + seconds
    undelivered = 0
    while time.time() < end:
        r = call(base, "/_emu/slash", {"user_id": "U0ALICE0001", "channel_id": "C0INCIDENTS",
                                       "text": "help"})
        if r.get("ok"):
            sent.append(r["envelope_id"])
        else:
            undelivered += 1
        time.sleep(0.25)
    check(undelivered == 0, name, "%d of %d commands found no link"
          % (undelivered, undelivered + len(sent)))


def all_processed(base, db, name, sent):
    acked = lambda: (lambda a: all(e in a for e in sent))(
        {a["envelope_id"] for a in call(base, "/_emu/acks")["acks"]})
    check(wait_for(acked, 20), name, "every delivered command is acked")
    late = [a for a in call(base, "/_emu/acks")["acks"] if a["envelope_id"] in sent and a["late"]]
    check(not late, name, "no ack was late (%d)" % len(late))

    def done():
        rows = db_rows(db, "SELECT count(*) FROM inbox WHERE state = 'done' AND envelope_id IN"
                       " (%s)" % ",".join("?" * len(sent)), sent)
        return rows[0][0] == len(sent)
    check(wait_for(done, 30), name, "every command processed once")


def with_bot(name, fn):
    tmp = tempfile.mkdtemp(prefix="incidentd-links-%s-" % name)
    emu, base = start_slackemu(SLACKEMU, tmp, "--no-rate-limits", "--refresh-grace-ms", "2000")
    db = os.path.join(tmp, "incidentd.db")
    bot = None
    before = len(failures)
    try:
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot.log")
        check(call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"], name,
              "two Socket Mode links")
        check(wait_for(lambda: directory_synced(db), 20), name, "directory synced")
        fn(name, base, db)
    finally:
        if bot:
            stop_bot(bot, name)
        emu.terminate()
        emu.wait(timeout=10)
        if len(failures) > before:
            print("---- %s bot.log (tail)\n%s" % (name, log_tail(os.path.join(tmp, "bot.log"), 40)),
                  file=sys.stderr)
            print("kept " + tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp)


def one_of_two(name, base, db):
    links = open_links(base)
    refused, other = links[0]["id"], links[1]["id"]
    sent = []
    r = call(base, "/_emu/disconnect", {"reason": "too_many_websockets",
                                        "connection_id": refused})
    check(r.get("connections") == 1, name, "one link refused: %r" % r)
    time.sleep(0.3)
    ids = [c["id"] for c in open_links(base)]
    check(other in ids and refused not in ids, name, "the other link is kept (%r)" % ids)
    r = call(base, "/_emu/disconnect", {"reason": "refresh_requested", "connection_id": other})
    check(r.get("connections") == 1, name, "refresh asked of the other link: %r" % r)
    t0 = time.time()
    # slackemu sends nothing more on a link asked to refresh: the replacement must come now.
    new = wait_for(lambda: [c["id"] for c in open_links(base)
                            if c["state"] == "open" and c["id"] not in (refused, other)], 10)
    check(new and time.time() - t0 < 2, name, "the refreshed link replaced at once (%r after"
          " %.1f s)" % (new, time.time() - t0))
    send_for(base, name, 5, sent)  # across the old link's close, 2 s after the request
    ids = [c["id"] for c in open_links(base)]
    check(ids and other not in ids, name, "the refreshed link is gone, its replacement stays"
          " (%r)" % ids)
    all_processed(base, db, name, sent)


def every_link(name, base, db):
    t0 = time.time()
    r = call(base, "/_emu/disconnect", {"reason": "too_many_websockets"})
    check(r.get("connections") == 2, name, "both links refused: %r" % r)
    back = wait_for(lambda: [c for c in open_links(base) if c["state"] == "open"], 10)
    check(back, name, "a link again within 10 s (not after the 30 s wait)")
    print("%s: a link again after %.1f s" % (name, time.time() - t0))
    sent = []
    send_for(base, name, 3, sent)
    all_processed(base, db, name, sent)


if __name__ == "__main__":
    sys.exit(run_side_by_side("links_e2e", [
        ("one_of_two", lambda: with_bot("one_of_two", one_of_two)),
        ("every_link", lambda: with_bot("every_link", every_link)),
    ]))
