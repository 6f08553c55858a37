#!/usr/bin/env python3
"""End-to-end: the declare form opens within Slack's 3-second trigger_id window while the
outbox has a backlog of incident effects and Slack answers those slowly.

Twenty incidents are declared while conversations.create takes 1.5 s per call (the slack
lane then needs 30 s for the channels alone, with every other effect of those incidents
queued behind them); then `/incident declare` without text must open its modal. The
emulator refuses views.open once the trigger is older than 3 s (expired_trigger_id), so
the view being open is the proof, not a timer in the test.

usage: modal_backlog_e2e.py path/to/incidentd path/to/slackemu
"""
import os
import shutil
import sys
import tempfile

from e2e_util import call, start_incidentd, start_slackemu, wait_for

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]


def main():
    tmp = tempfile.mkdtemp(prefix="incidentd-modal-")
    emu, base = start_slackemu(SLACKEMU, tmp, "--no-rate-limits")
    bot = None
    ok = False
    try:
        bot, _ = start_incidentd(INCIDENTD, tmp, base, "bot.log",
                                 'announce_channel = "C0INCIDENTS"\n')
        assert call(base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})["ok"]
        call(base, "/_emu/fault", {"method": "conversations.create", "latency_ms": 1500})
        for i in range(20):
            r = call(base, "/_emu/slash", {"user_id": "U0ALICE0001", "channel_id": "C0GENERAL01",
                                           "text": "declare Backlog incident %d" % i})
            assert r["ok"], r
        # The backlog is real: the channels are still being created.
        assert wait_for(lambda: call(base, "/_emu/state")["calls"].get("conversations.create"),
                        10), "no channel creation started"
        r = call(base, "/_emu/slash", {"user_id": "U0BOB000002", "channel_id": "C0GENERAL01",
                                       "text": "declare"})
        assert r["ok"], r

        def modal():
            st = call(base, "/_emu/state")
            return [v for v in st.get("views", [])
                    if v.get("callback_id") == "incident_declare" and v.get("status") == "open"]

        views = wait_for(modal, 8)
        assert views, "the declare modal did not open (trigger expired behind the backlog?)"
        made = len([c for c in call(base, "/_emu/state")["channels"]
                    if c["name"].startswith("inc-") and not c.get("is_archived")])
        assert made < 20, "no backlog was left when the modal opened (%d channels)" % made
        print("modal opened with %d of 20 channels created" % made)
        ok = True
    finally:
        if bot:
            bot.terminate()
            bot.wait(timeout=30)
        emu.terminate()
        emu.wait(timeout=10)
        if ok:
            shutil.rmtree(tmp)
        else:
            for name in ("bot.log", "emu.log"):
                p = os.path.join(tmp, name)
                if os.path.exists(p):
                    print("---- %s (tail)" % name, file=sys.stderr)
                    print("".join(open(p).readlines()[-40:]), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
