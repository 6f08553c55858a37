#!/usr/bin/env python3
"""End-to-end: declaring and setting up incidents (issue 5), the real incidentd against slackemu.

Each group of scenarios runs against its own slackemu and incidentd and asserts what a Slack
user would see, from /_emu/state (and, for "nothing changed" and "nothing failed", the bot's
database, read only):

  A  declare by text: channel, members, topic, purpose, one pinned control message, call
     bookmark, announcement, reply; Take IRM (the control message edited in place), roles by
     command and by the control message's select, re-assignment; a title full of mrkdwn
     (<!channel>, <@U...>, & < >) escaped everywhere; every bad input answered with what was
     wrong and the usage, changing nothing. Rate limits on, with conversations.create's
     bucket emptied first so the bot meets a real 429 + Retry-After.
  B  declare by modal (a blank title keeps the modal open with an error); a breach at declare
     time (private channel, DPO, regulator clock) and later (public channel advice, DPO);
     below the incident definition: "Declare anyway", "Track as potential" and "Dismiss".
  C  channel-name collisions: names taken by people get -2 / -3; a 429 on the create; a
     channel of the name that the bot itself created is taken over (docs/design.md: it is
     what a lost answer of an earlier attempt leaves), not duplicated.
  D  200 declares in a row, as fast as slackemu takes them (rate limits off in slackemu).
     incidentd paces its own Web API calls by Slack's tiers (conversations.create and the
     other tier-2 calls: 20 a minute, bursts of 3), so setting up 200 incidents takes about
     ten minutes. By default every declare is checked to be decided, answered and queued
     (200 incidents, distinct channel names, nothing failed) and the first DECLARE_E2E_SETUP
     (default 20) to be completely set up in Slack; DECLARE_E2E_FULL=1 waits for all 200.

A failing check names its scenario; the logs of a group with failures are printed (tail) and
its temp dir is kept. Exit status 1 when any check failed.

usage: declare_e2e.py path/to/incidentd path/to/slackemu
"""
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error

from e2e_util import check, failures, run_scenario
from e2e_util import directory_synced
from e2e_util import (BOT_AUTH, bot_idle, call, db_rows, emu_state, log_tail, response_posts,
                      slash, start_incidentd, start_slackemu, wait_for, wait_response)

INCIDENTD, SLACKEMU = sys.argv[1], sys.argv[2]
FULL = os.environ.get("DECLARE_E2E_FULL") == "1"
SETUP_N = 200 if FULL else int(os.environ.get("DECLARE_E2E_SETUP", "20"))

BOT = "U0EMUB0TUSR"
ALICE, BOB, CAROL, DAVE = "U0ALICE0001", "U0BOB000002", "U0CAROL0003", "U0DAVE00004"
INCIDENTS, GENERAL = "C0INCIDENTS", "C0GENERAL01"
CALL_TEMPLATE = "https://meet.example.com/{channel}"
# What must never reach Slack unescaped from user text: broadcasts and pings.
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>")



def web_api(base, method, body):
    """A Web API call with the bot's token; Slack's answer, also for an HTTP 429."""
    try:
        return call(base, "/api/" + method, body, BOT_AUTH)
    except urllib.error.HTTPError as e:
        return dict(json.loads(e.read() or b"{}"), http_status=e.code)


def create_calls(base):
    return emu_state(base)["calls"].get("conversations.create", 0)


def today_dates(t0, t1):
    """UTC dates (YYYY-MM-DD) between t0 and t1: the bot names channels by the declare time."""
    return {time.strftime("%Y-%m-%d", time.gmtime(t)) for t in (t0, t1)}


class Env:
    """One slackemu and one incidentd in a temp dir."""

    def __init__(self, name, emu_args=(), slack_config="", extra_config="", workspace=None):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="incidentd-declare-%s-" % name)
        self.db = os.path.join(self.tmp, "incidentd.db")
        self.failed_before = len(failures)
        args = list(emu_args)
        if workspace is not None:
            path = os.path.join(self.tmp, "workspace.json")
            with open(path, "w") as f:
                json.dump(workspace, f)
            args += ["--workspace", path]
        self.emu, self.base = start_slackemu(SLACKEMU, self.tmp, *args)
        self.bot, _ = start_incidentd(INCIDENTD, self.tmp, self.base, "bot.log",
                                      'announce_channel = "%s"\n%s' % (INCIDENTS, slack_config),
                                      extra_config)
        r = call(self.base, "/_emu/wait", {"connections": 2, "timeout_ms": 15000})
        if not r.get("ok"):
            raise RuntimeError("incidentd did not connect: %r\n%s" % (
                r, log_tail(os.path.join(self.tmp, "bot.log"))))
        # Roles are checked against the workspace directory the bot syncs at start (until the
        # first sync anyone is accepted): begin once it is there, so that every run is alike.
        if not wait_for(self.directory_synced, 30):
            raise RuntimeError("incidentd did not sync the workspace directory\n%s"
                               % log_tail(os.path.join(self.tmp, "bot.log")))

    def directory_synced(self):
        return directory_synced(self.db)

    def state(self):
        return emu_state(self.base)

    def slash(self, user, channel, text):
        return slash(self.base, user, channel, text)

    def reply(self, r, count=1, timeout=20.0):
        """The text of the count-th answer through a command's response_url (None: none came)."""
        posts = wait_response(self.base, r["response_url"], count, timeout)
        return posts[count - 1] if posts else None

    def idle(self, timeout=60.0):
        return wait_for(lambda: bot_idle(self.db), timeout)

    def rows(self, sql, args=()):
        return db_rows(self.db, sql, args)

    def scalar(self, sql, args=()):
        return self.rows(sql, args)[0][0]

    def stop(self, scenario):
        stats = call(self.base, "/_emu/stats")
        check(stats["sent"] == stats["acked"] and stats["timed_out"] == 0
              and stats["late_acks"] == 0, scenario,
              "every envelope acked in time: %r" % {k: stats[k] for k in
                                                    ("sent", "acked", "timed_out", "late_acks")})
        self.bot.send_signal(signal.SIGTERM)
        try:
            rc = self.bot.wait(timeout=15)
        except Exception:  # noqa: BLE001 - a hang is a failure, reported below
            rc = None
        check(rc == 0, scenario, "incidentd stopped cleanly on SIGTERM (exit %r)" % rc)
        log = open(os.path.join(self.tmp, "bot.log"), errors="replace").read()
        given_up = [l for l in log.splitlines() if "effect given up" in l]
        check(not given_up, scenario, "no effect given up: %s" % given_up[:3])

    def close(self):
        for p in (self.bot, self.emu):
            if p.poll() is None:
                p.kill()
                p.wait()
        if len(failures) > self.failed_before:
            for name in ("bot.log", "emu.log"):
                sys.stderr.write("---- %s: %s (tail)\n%s" % (
                    self.name, name, log_tail(os.path.join(self.tmp, name), 40)))
            sys.stderr.write("---- %s: logs and database kept in %s\n" % (self.name, self.tmp))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---- reading Slack's state ----

def channel_by_id(st, cid):
    return next((c for c in st["channels"] if c["id"] == cid), None)


def channel_by_name(st, name):
    return next((c for c in st["channels"] if c["name"] == name), None)


def block_ids(msg):
    return [b.get("block_id") for b in msg.get("blocks") or []]


def action_ids(msg):
    return [e.get("action_id") for b in msg.get("blocks") or [] for e in b.get("elements") or []
            if isinstance(e, dict)]


def bot_messages(ch):
    return [m for m in ch.get("messages", []) if m.get("user") == BOT and m.get("bot_id")]


def control_messages(ch, inc_id):
    return [m for m in bot_messages(ch) if "inc%d_header" % inc_id in block_ids(m)]


def pinned(ch):
    return [m for m in ch.get("messages", []) if ch["id"] in (m.get("pinned_to") or [])]


def announcements(st, inc_id):
    ch = channel_by_id(st, INCIDENTS)
    return [m for m in bot_messages(ch) if "inc%d_announce" % inc_id in block_ids(m)]


def mrkdwn_texts(node, out, plain=None):
    """Every string Slack renders as mrkdwn in a message/blocks tree; plain_text objects go to
    plain (Slack never parses those for mentions, so they show user text literally)."""
    if isinstance(node, dict):
        if node.get("type") == "plain_text":
            if plain is not None:
                plain.append(node.get("text", ""))
            return out
        for k, v in node.items():
            if k in ("text", "value", "topic", "purpose", "title") and isinstance(v, str):
                out.append(v)
            else:
                mrkdwn_texts(v, out, plain)
    elif isinstance(node, list):
        for v in node:
            mrkdwn_texts(v, out, plain)
    return out


def control_field(msg, label):
    """The value of a field ("*IRM*\\n<@U1>") of the control message's summary section."""
    for b in msg.get("blocks") or []:
        for f in b.get("fields") or []:
            t = f.get("text", "")
            if t.startswith("*%s*\n" % label):
                return t.split("\n", 1)[1]
    return None


def posted_by_bot(st):
    """Every text the bot made visible: messages (with their edit history), topics, purposes,
    bookmarks, ephemeral messages, response_url bodies, views. Returns (mrkdwn, plain)."""
    out, plain = [], []
    for ch in st["channels"]:
        for m in ch.get("messages", []):
            if m.get("user") == BOT:
                mrkdwn_texts(m, out, plain)
        if ch.get("topic", {}).get("creator") == BOT:
            out.append(ch["topic"]["value"])
        if ch.get("purpose", {}).get("creator") == BOT:
            out.append(ch["purpose"]["value"])
        mrkdwn_texts(ch.get("bookmarks") or [], out, plain)
    for m in st.get("ephemeral", []):
        mrkdwn_texts(m, out, plain)
    for i in st.get("interactions", []):
        if i.get("kind") == "response_url":
            mrkdwn_texts(i.get("body"), out, plain)
    for v in st.get("views", []):
        mrkdwn_texts(v.get("blocks"), out, plain)
    return out, plain


def check_no_broadcast(env, scenario):
    texts, _ = posted_by_bot(env.state())
    bad = [t for t in texts if any(b in t for b in BROADCASTS)]
    check(not bad, scenario, "no unescaped <!channel>/<!here>/<!everyone> in anything the bot "
          "posted: %r" % bad[:3])


def snapshot(st):
    """What a user could see change: channels (members, topic, purpose, messages with edits,
    pins, bookmarks) and open views; ephemeral messages are compared separately."""
    chans = {}
    for c in st["channels"]:
        chans[c["id"]] = (c["name"], c["is_private"], c["topic"]["value"], c["purpose"]["value"],
                          tuple(sorted(c["members"])),
                          tuple((m["ts"], m.get("text"), json.dumps(m.get("blocks")),
                                 len(m.get("history") or []), tuple(m.get("pinned_to") or []))
                                for m in c.get("messages", [])),
                          json.dumps(c.get("bookmarks")))
    views = tuple((v["id"], v["status"]) for v in st.get("views", []))
    return chans, views


def db_counts(env):
    return env.rows("SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM roles),"
                    " (SELECT count(*) FROM timeline), (SELECT count(*) FROM reminders)")[0]


def effects_of(env, envelope_id):
    """(kind, target) of every outbox row the decision of one envelope enqueued."""
    return env.rows("SELECT kind, target FROM outbox WHERE idem_key LIKE ? ORDER BY id",
                    (envelope_id + "/%",))


def incident_channel(env, inc_id, timeout=30.0):
    """The incident's channel once delivery recorded it, from Slack's state; None otherwise."""
    def find():
        rows = env.rows("SELECT channel_id FROM incidents WHERE id = ?", (inc_id,))
        if not rows or not rows[0][0]:
            return None
        return channel_by_id(env.state(), rows[0][0])
    return wait_for(find, timeout)


def setup_complete(st, ch, inc_id):
    """The channel has its pinned control message and topic, and the announcement exists."""
    ctl = control_messages(ch, inc_id)
    return (len(ctl) == 1 and ch["id"] in (ctl[0].get("pinned_to") or [])
            and ch["topic"]["value"].startswith("SEV ") and len(announcements(st, inc_id)) == 1)


def last_incident_id(env):
    return env.scalar("SELECT coalesce(max(id), 0) FROM incidents")




# ---- A: declare by text, roles, escaping, bad inputs ----

def scenario_declare_text(env, s="1-declare-text"):
    # Empty conversations.create's bucket in slackemu (tier 2 holds a minute's worth, 20),
    # so that the bot's own create meets a real 429 with Retry-After and must wait it out.
    limited = False
    for i in range(40):
        r = web_api(env.base, "conversations.create", {"name": "e2e-filler-%d" % i})
        if r.get("http_status") == 429 and r.get("error") == "ratelimited":
            limited = True
            break
    check(limited, s, "slackemu rate-limits conversations.create (test setup)")
    mine = create_calls(env.base)

    t0 = time.time()
    r = env.slash(ALICE, INCIDENTS,
                  "declare DB down --sev critical --users 40 --started 1h --component api")
    body = env.reply(r)
    t1 = time.time()
    check(body and "*INC-1: DB down* is declared (severity critical)" in body.get("text", "")
          and body.get("response_type") == "ephemeral", s,
          "the declarer gets an ephemeral confirmation: %r" % body)
    ch = incident_channel(env, 1, timeout=40)
    if not check(ch, s, "the incident's channel was created (after the 429)"):
        return
    names = {"inc-%s-1-db-down" % d for d in today_dates(t0, t1)}
    check(ch["name"] in names, s, "channel named %s, got %r" % (names, ch["name"]))
    check(ch["is_private"] is False, s, "the channel is public")
    # The bot made one successful create (the name was free): any call before it was a 429.
    check(create_calls(env.base) - mine >= 2, s, "the bot's create met a 429 and was retried "
          "after Retry-After: %d calls" % (create_calls(env.base) - mine))

    st = wait_for(lambda: (lambda st: st if setup_complete(
        st, channel_by_id(st, ch["id"]), 1) else None)(env.state()), 40)
    if not check(st, s, "control message pinned, topic set, announcement posted"):
        st = env.state()
    # The bookmark and the welcome message come after those in the incident's lane (and under
    # the per-channel posting limit, slower with the sanitizers): wait for the welcome too.
    cid = ch["id"]
    st = wait_for(lambda: (lambda st: st if any(
        "declared by <@%s>" % ALICE in m.get("text", "")
        for m in bot_messages(channel_by_id(st, cid))) else None)(env.state()), 40) or st
    ch = channel_by_id(st, ch["id"])
    check({ALICE, CAROL, BOT} <= set(ch["members"]), s,
          "declarer and on-call engineer are members: %r" % ch["members"])
    check(BOB not in ch["members"] and DAVE not in ch["members"], s,
          "nobody else is invited yet: %r" % ch["members"])
    check(ch["topic"]["value"] == "SEV critical | investigating | IRM unassigned", s,
          "topic: %r" % ch["topic"]["value"])
    check(ch["purpose"]["value"] == "DB down", s, "purpose is the title: %r" % ch["purpose"])
    pins = pinned(ch)
    check(len(pins) == 1 and "inc_take_irm" in action_ids(pins[0])
          and {"inc_severity", "inc_role_tech", "inc_role_support"} <= set(action_ids(pins[0])),
          s, "exactly one pinned message, the control message with its buttons: %r"
          % [action_ids(p) for p in pins])
    ctl = control_messages(ch, 1)
    check(len(ctl) == 1, s, "one control message: %d" % len(ctl))
    call_url = CALL_TEMPLATE.replace("{channel}", ch["name"])
    check([b.get("link") for b in ch.get("bookmarks") or []] == [call_url], s,
          "the call link is bookmarked: %r" % ch.get("bookmarks"))
    ann = announcements(st, 1)
    check(len(ann) == 1 and "<#%s>" % ch["id"] in json.dumps(ann[0]["blocks"]), s,
          "announced in #incidents with a link to the channel: %r" % ann)
    texts = [m.get("text", "") for m in bot_messages(ch)]
    welcome = [t for t in texts if "declared by <@%s>" % ALICE in t]
    check(len(welcome) == 1 and call_url in welcome[0], s,
          "one welcome message names the declarer and shows the call: %r" % texts)
    check(wait_for(lambda: [m for m in bot_messages(channel_by_id(env.state(), ch["id"]))
                            if "<!subteam^S0ONCALL001>" in m.get("text", "")
                            and "Take IRM" in m.get("text", "")], 20), s,
          "the IRMs (the [roles] irm_group) are asked to take the IRM role: %r" % texts)
    ctl = ctl[0] if ctl else {"ts": None}
    ctl_ts = ctl["ts"]
    check(control_field(ctl, "Severity") and "critical" in control_field(ctl, "Severity")
          and control_field(ctl, "IRM") == "_unassigned_", s,
          "control message shows severity and no IRM: %r" % ctl.get("blocks"))

    # Bob takes the IRM role with the button: the same message is edited.
    r = call(env.base, "/_emu/click", {"user_id": BOB, "channel_id": ch["id"],
                                       "message_ts": ctl_ts, "action_id": "inc_take_irm"})
    check(r.get("ok"), s, "click on Take IRM delivered: %r" % r)

    def irm_shown():
        st = env.state()
        c = channel_by_id(st, ch["id"])
        m = control_messages(c, 1)
        return (st, c, m[0]) if len(m) == 1 and control_field(m[0], "IRM") == "<@%s>" % BOB \
            and c["topic"]["value"].endswith("IRM <@%s>" % BOB) else None
    got = wait_for(irm_shown, 30)
    if check(got, s, "control message and topic show bob as IRM"):
        st, c, m = got
        check(m["ts"] == ctl_ts and m.get("edited") and len(control_messages(c, 1)) == 1, s,
              "the control message was edited in place, not posted again: ts %r vs %r"
              % (m["ts"], ctl_ts))
        check(c["topic"]["value"] == "SEV critical | investigating | IRM <@%s>" % BOB, s,
              "topic: %r" % c["topic"]["value"])
        check(BOB in c["members"], s, "bob invited: %r" % c["members"])
        check(wait_for(lambda: [x for x in bot_messages(channel_by_id(env.state(), ch["id"]))
                                if "<@%s>, as the IRM please appoint a technical liaison" % BOB
                                in x.get("text", "")], 30), s,
              "bob is reminded to appoint the liaisons")
        texts = [x.get("text", "") for x in bot_messages(channel_by_id(env.state(), ch["id"]))]
        check(any("<@%s> is now the IRM" % BOB in t for t in texts), s,
              "the channel is told who the IRM is")
    body = env.reply(r) if r.get("ok") else None
    check(body and "Done: <@%s> is the IRM of INC-1." % BOB in body.get("text", ""), s,
          "the clicker gets a confirmation: %r" % body)

    # /incident role tech @dave typed in the incident channel.
    r = env.slash(BOB, ch["id"], "role tech <@%s>" % DAVE)
    body = env.reply(r)
    check(body and "Done: <@%s> is the technical liaison of INC-1" % DAVE in body["text"], s,
          "role by command confirmed: %r" % body)

    def field_is(label, user):
        def pred():
            c = channel_by_id(env.state(), ch["id"])
            m = control_messages(c, 1)
            return c if m and control_field(m[0], label) == "<@%s>" % user else None
        return pred
    c = wait_for(field_is("Tech liaison", DAVE), 30)
    check(c and DAVE in c["members"], s, "dave invited and shown as tech liaison")

    # The support liaison from the control message's user select.
    r = call(env.base, "/_emu/click", {"user_id": BOB, "channel_id": ch["id"],
                                       "message_ts": ctl_ts, "action_id": "inc_role_support",
                                       "value": ALICE})
    check(r.get("ok"), s, "select on the control message delivered: %r" % r)
    check(wait_for(field_is("Support liaison", ALICE), 30), s,
          "alice shown as support liaison after the select")

    # Re-assignment: carol becomes the technical liaison; /incident show says so.
    r = env.slash(BOB, ch["id"], "role tech <@%s>" % CAROL)
    body = env.reply(r)
    check(body and "Done: <@%s> is the technical liaison" % CAROL in body["text"], s,
          "re-assignment confirmed: %r" % body)
    check(wait_for(field_is("Tech liaison", CAROL), 30), s, "control message shows carol")
    r = env.slash(DAVE, ch["id"], "show")
    body = env.reply(r)
    text = body.get("text", "") if body else ""
    check("technical liaison: <@%s>" % CAROL in text and "<@%s>" % DAVE not in text
          and "IRM: <@%s>" % BOB in text and "support liaison: <@%s>" % ALICE in text, s,
          "/incident show lists the current roles: %r" % text)
    c = channel_by_id(env.state(), ch["id"])
    check(len(control_messages(c, 1)) == 1 and len(pinned(c)) == 1, s,
          "still exactly one control message, pinned, after four changes")
    check(len(announcements(env.state(), 1)) == 1, s, "still one announcement (edited)")


def scenario_escaping(env, s="1b-escaping"):
    """A title and component full of markup, as Slack sends a command's text (& < > as
    entities, a mention, a mass mention): accepted, and shown as plain words that ping nobody
    wherever it is shown (a title is a label, not a message)."""
    n = last_incident_id(env) + 1
    title = "Pay <!channel> &amp; <@U0BOB000002|bob> &lt;b&gt;x&lt;/b&gt; fails"
    r = env.slash(DAVE, INCIDENTS, "declare %s --users 10 --component <!here>" % title)
    body = env.reply(r)
    esc = "Pay @channel &amp; @bob &lt;b&gt;x&lt;/b&gt; fails"
    check(body and ("*INC-%d: %s* is declared" % (n, esc)) in body["text"], s,
          "the reply shows the title's words, escaped once: %r" % body)
    ch = incident_channel(env, n)
    if not check(ch, s, "the channel was created"):
        return
    st = wait_for(lambda: (lambda st: st if setup_complete(
        st, channel_by_id(st, ch["id"]), n) else None)(env.state()), 40)
    if not check(st, s, "set up completely"):
        st = env.state()
    ch = channel_by_id(st, ch["id"])
    check(ch["purpose"]["value"] == esc, s, "purpose escaped: %r" % ch["purpose"]["value"])
    mine, plain = [], []
    for m in bot_messages(ch) + announcements(st, n):
        mrkdwn_texts(m, mine, plain)
    bad = [t for t in mine if "<!channel>" in t or "<!here>" in t or "<@U0BOB000002>" in t
           or "<b>" in t]
    check(not bad, s, "no unescaped user text in the channel or the announcement: %r" % bad)
    check(any(esc in t for t in mine), s, "the escaped title is shown")
    check(any("&lt;!here&gt;" in t for t in mine), s, "the component is shown escaped")
    check(BOB not in ch["members"], s, "the mention in the title invited nobody")
    check(any("Pay @channel & @bob <b>x</b> fails" in p for p in plain), s,
          "plain_text (the header) shows the title's plain words, as Slack does not parse it: %r"
          % plain)


BAD_INPUTS = [
    # (where, text, words the reply must contain)
    ("incidents", "frobnicate now", ["Unknown command `frobnicate`", "/incident declare"]),
    ("incidents", "declare DB down --sevv critical",
     ["unknown flag \"--sevv\"", "did you mean --sev", "Usage: `/incident declare <title>"]),
    ("incidents", "declare DB down --colour red",
     ["unknown flag \"--colour\"", "Usage: `/incident declare <title>"]),
    ("incidents", "declare --sev major", ["missing title", "Usage: `/incident declare <title>"]),
    ("incidents", "declare DB down --sev huge",
     ["--sev: expected critical, major or minor, got \"huge\"", "Usage: `/incident declare"]),
    ("incidents", "declare DB down --users -3",
     ["--users: expected a whole number", "got \"-3\"", "Usage: `/incident declare"]),
    ("incidents", "declare DB down --started yesterday",
     ["--started: expected a duration", "Usage: `/incident declare"]),
    # Issue 13: a right-to-left override (and any control or NUL) is refused, not kept.
    ("incidents", "declare Pay \u202e005 --sev major",
     ["right-to-left override (U+202E) at character 13", "Nothing changed."]),
    ("incident", "role tech @nobody",
     ["there is no user `@nobody`", "Usage: `/incident role irm|tech|support|dpo"]),
    ("incident", "role boss <@U0DAVE00004>",
     ["There is no role `boss`", "Usage: `/incident role"]),
    ("incident", "role tech", ["takes more arguments", "/incident role irm|tech|support|dpo"]),
    ("incident", "severity huge", ["There is no severity `huge`", "Usage: `/incident severity"]),
    ("general", "role tech <@U0DAVE00004>",
     ["This channel is not an incident's", "`/incident role ... INC-42`"]),
    ("general", "show", ["This channel is not an incident's", "`/incident show ... INC-42`"]),
    ("incidents", "show INC-999", ["There is no incident INC-999"]),
    ("incidents", "<!channel> now", ["Unknown command `@channel`", "/incident declare"]),
    ("incidents", "declare DB down --sev <!channel>",
     ["got \"@channel\"", "Usage: `/incident declare"]),
    ("incidents", "declare DB down --<@U0BOB000002>",
     ["unknown flag \"--<@U0BOB000002>\"", "Usage: `/incident declare"]),
    ("incidents", "declare DB down --users &<>",
     ["got \"&amp;&lt;&gt;\"", "Usage: `/incident declare"]),
    ("incidents", "declare &<>", ["\"&amp;&lt;&gt;\" has no letters or digits",
                                  "Usage: `/incident declare"]),
    ("incident", "role tech <!channel>",
     ["not `@channel`", "Usage: `/incident role"]),
    # Mentions Slack would send, of people who cannot hold a role (by the synced directory).
    ("incident", "role tech <@U0NOSUCHUS1>", ["There is no user <@U0NOSUCHUS1>"]),
    ("incident", "role support <@U0FRANK0006>", ["<@U0FRANK0006> is deactivated"]),
    ("incident", "role tech <@U0PAGERBOT1>", ["<@U0PAGERBOT1> is a bot"]),
    ("incident", "role irm <@U0DAVE00004>", ["<@U0DAVE00004> is not one of the IRMs"]),
]


def scenario_bad_inputs(env, s="7-bad-inputs"):
    inc_channel = env.scalar("SELECT channel_id FROM incidents WHERE id = 1")
    where = {"incidents": INCIDENTS, "general": GENERAL, "incident": inc_channel}
    check(env.idle(), s, "the bot is idle before the bad inputs")
    for place, text, words in BAD_INPUTS:
        what = "%r in %s" % (text, place)
        before_st = env.state()
        before, before_db = snapshot(before_st), db_counts(env)
        before_eph = len(before_st["ephemeral"])
        r = env.slash(ALICE, where[place], text)
        body = env.reply(r)
        if not check(body, s, "%s: answered" % what):
            continue
        reply = body.get("text", "")
        check(body.get("response_type") == "ephemeral", s, "%s: the answer is ephemeral" % what)
        missing = [w for w in words if w not in reply]
        check(not missing, s, "%s: the answer says %r; it is %r" % (what, missing, reply))
        check(not any(b in reply for b in BROADCASTS), s, "%s: the answer escapes user text: %r"
              % (what, reply))
        check(effects_of(env, r["envelope_id"]) == [("slack.respond", "fast")], s,
              "%s: the only effect decided is the reply: %r"
              % (what, effects_of(env, r["envelope_id"])))
        check(env.idle(), s, "%s: processed" % what)
        after_st = env.state()
        check(snapshot(after_st) == before, s, "%s: no channel, member, topic or message "
              "changed" % what)
        check(db_counts(env) == before_db, s, "%s: no incident, role, timeline entry or "
              "reminder was written: %r -> %r" % (what, before_db, db_counts(env)))
        new_eph = after_st["ephemeral"][before_eph:]
        check(len(new_eph) == 1 and new_eph[0]["recipient"] == ALICE
              and new_eph[0]["channel"] == where[place], s,
              "%s: exactly one new ephemeral message, to the user, where they typed: %r"
              % (what, new_eph))


def group_a():
    env = Env("A", extra_config='[oncall]\nusers = ["%s"]\n[roles]\nirm_group = "S0ONCALL001"\n'
              'dpo = "%s"\n[call]\nurl_template = "%s"\n' % (CAROL, CAROL, CALL_TEMPLATE))
    try:
        run_scenario("1-declare-text", scenario_declare_text, env)
        run_scenario("1b-escaping", scenario_escaping, env)
        run_scenario("7-bad-inputs", scenario_bad_inputs, env)
        check_no_broadcast(env, "A")
        env.stop("A")
    finally:
        env.close()


# ---- B: modal, breach, below the definition ----

def open_modal(env, user):
    r = env.slash(user, INCIDENTS, "declare")
    v = wait_for(lambda: [v for v in env.state()["views"]
                          if v.get("callback_id") == "incident_declare" and v["user"] == user
                          and v["status"] == "open"], 10)
    return r, (v[-1] if v else None)


def scenario_modal(env, s="2-declare-modal"):
    r, view = open_modal(env, ALICE)
    if not check(view, s, "/incident declare alone opens the declare modal"):
        return
    blocks = {b["block_id"]: b["element"]["action_id"] for b in view["blocks"]}
    check(blocks.get("title") == "title_input" and "severity" in blocks and "breach" in blocks,
          s, "the modal asks for title, severity, breach...: %r" % blocks)

    # A blank title: the form stays open with the error under the title; nothing is created.
    before = db_counts(env)
    chans = len(env.state()["channels"])
    sub = call(env.base, "/_emu/submit", {"view_id": view["id"], "user_id": ALICE, "force": True,
                                          "values": {"title": {"title_input": "   "}}})
    check(sub.get("ok"), s, "blank submission delivered: %r" % sub)
    v = wait_for(lambda: [v for v in env.state()["views"] if v["id"] == view["id"]
                          and v.get("errors")], 10)
    check(v and v[0]["status"] == "open" and "title" in v[0]["errors"], s,
          "the view stays open with an error on the title: %r" % v)
    check(env.idle(), s, "processed")
    check(db_counts(env) == before and len(env.state()["channels"]) == chans, s,
          "a blank title creates nothing")

    n = last_incident_id(env) + 1
    started = int(time.time()) - 2 * 3600
    t0 = time.time()
    sub = call(env.base, "/_emu/submit", {"view_id": view["id"], "user_id": ALICE, "values": {
        "title": {"title_input": "Checkout fails"},
        "description": {"description_input": "Users see 500s & <!channel> <b>errors</b>"},
        "scope": {"scope_input": "major_feature"},
        "percent": {"percent_input": "20"},
        "severity": {"severity_input": "critical"},
        "started": {"started_input": started},
        "users": {"users_input": "120"},
    }})
    check(sub.get("ok"), s, "submission delivered: %r" % sub)
    check(wait_for(lambda: [v for v in env.state()["views"] if v["id"] == view["id"]
                            and v["status"] == "closed"], 10), s, "the modal closed")
    body = env.reply(r)
    t1 = time.time()
    check(body and "*INC-%d: Checkout fails* is declared (severity critical)" % n
          in body["text"], s, "the declarer is answered where they typed the command: %r" % body)
    ch = incident_channel(env, n)
    if not check(ch, s, "the channel was created"):
        return
    names = {"inc-%s-%d-checkout-fails" % (d, n) for d in today_dates(t0, t1)}
    check(ch["name"] in names and not ch["is_private"], s, "channel %r, public" % ch["name"])
    st = wait_for(lambda: (lambda st: st if setup_complete(
        st, channel_by_id(st, ch["id"]), n) else None)(env.state()), 40)
    if not check(st, s, "set up completely"):
        st = env.state()
    ch = channel_by_id(st, ch["id"])
    check({ALICE, BOB} <= set(ch["members"]), s, "declarer and on-call invited: %r"
          % ch["members"])
    check(ch["topic"]["value"] == "SEV critical | investigating | IRM unassigned", s,
          "topic %r" % ch["topic"]["value"])
    check(not ch.get("bookmarks"), s, "no call bookmark without [call] url_template: %r"
          % ch.get("bookmarks"))
    ctl = control_messages(ch, n)
    desc = [b for b in (ctl[0]["blocks"] if ctl else [])
            if b.get("block_id") == "inc%d_description" % n]
    check(desc and "Users see 500s &amp; &lt;!channel&gt; &lt;b&gt;errors&lt;/b&gt;"
          in desc[0]["text"]["text"], s, "the description is shown, escaped: %r" % desc)
    row = env.rows("SELECT severity, affected_users, started_at FROM incidents WHERE id = ?", (n,))
    check(row and row[0][0] == "critical" and row[0][1] == 120
          and row[0][2] == started * 1000, s, "the form's values were recorded: %r" % row)

    # The form starts with no severity and no start time: left empty, the severity is the
    # suggestion (the whole product, 80 % of customers: critical), and an unknown start is
    # not judged by the incident definition (it is not "now": no "under a minute ago").
    r, view = open_modal(env, ALICE)
    if not check(view, s, "a second declare modal opened"):
        return
    by_id = {b["block_id"]: b for b in view["blocks"]}
    sev, start = by_id.get("severity", {}), by_id.get("started", {})
    check(sev.get("optional") is True and "initial_option" not in sev.get("element", {})
          and "suggestion" in sev.get("hint", {}).get("text", ""), s,
          "the severity is optional, empty, with a hint about the suggestion: %r" % sev)
    check(start.get("optional") is True and "initial_date_time" not in start.get("element", {}),
          s, "the start time starts empty: %r" % start)
    n = last_incident_id(env) + 1
    sub = call(env.base, "/_emu/submit", {"view_id": view["id"], "user_id": ALICE, "values": {
        "title": {"title_input": "Everything is down"},
        "scope": {"scope_input": "whole_product"},
        "percent": {"percent_input": "80"},
    }})
    check(sub.get("ok"), s, "submission without severity delivered: %r" % sub)
    body = env.reply(r)
    check(body and "*INC-%d: Everything is down* is declared (severity critical)" % n
          in body["text"] and "smaller than an incident" not in body["text"], s,
          "declared critical from the suggestion, not flagged: %r" % body)
    row = env.rows("SELECT severity, status, below_threshold FROM incidents WHERE id = ?", (n,))
    check(row == [("critical", "investigating", 0)], s,
          "severity suggested, not below the definition: %r" % row)
    check(wait_for(lambda: incident_channel(env, n), 20), s, "its channel was created")


def scenario_breach(env, s="3-breach"):
    n = last_incident_id(env) + 1
    r = env.slash(ALICE, INCIDENTS, "declare Leaked tokens --breach")
    body = env.reply(r)
    check(body and "private: a breach is suspected" in body["text"], s,
          "the reply says the channel is private: %r" % body)
    ch = incident_channel(env, n)
    if not check(ch, s, "the channel was created"):
        return
    check(ch["is_private"] is True, s, "the channel is private")
    st = wait_for(lambda: (lambda st: st if setup_complete(
        st, channel_by_id(st, ch["id"]), n) and CAROL in channel_by_id(st, ch["id"])["members"]
        else None)(env.state()), 40)
    if not check(st, s, "set up completely, the DPO invited"):
        st = env.state()
    ch = channel_by_id(st, ch["id"])
    check({ALICE, BOB, CAROL} <= set(ch["members"]), s, "declarer, on-call and DPO are "
          "members: %r" % ch["members"])
    clock = wait_for(lambda: [m for m in bot_messages(channel_by_id(env.state(), ch["id"]))
                              if "regulator-notification clock started" in m.get("text", "")], 30)
    check(clock, s, "the regulator clock is announced in the channel")
    ch = channel_by_id(env.state(), ch["id"])
    texts = [m.get("text", "") for m in bot_messages(ch)]
    check(any("<@%s>" % CAROL in t and "DPO" in t for t in texts), s,
          "the channel is told that carol is the DPO: %r" % texts)
    check(any("<@%s>" % CAROL in t and "breach" in t for t in texts), s,
          "the DPO is told why they were asked to join (a message to <@carol> naming the "
          "suspected breach); the messages are %r" % texts)
    check(ch["topic"]["value"].endswith("| breach suspected"), s, "topic %r"
          % ch["topic"]["value"])
    ctl = control_messages(ch, n)
    check(ctl and control_field(ctl[0], "DPO") == "<@%s>" % CAROL
          and "inc%d_breach" % n in block_ids(ctl[0]), s,
          "control message shows the DPO and the breach warning")
    check(env.scalar("SELECT count(*) FROM reminders WHERE incident_id = ? AND kind ="
                     " 'breach_clock'", (n,)) >= 1, s, "regulator clock reminders are scheduled")

    # Later: a public incident becomes a suspected breach.
    m = last_incident_id(env) + 1
    env.slash(BOB, INCIDENTS, "declare Odd logins --sev minor")
    pub = incident_channel(env, m)
    if not check(pub, s, "the public incident's channel was created"):
        return
    check(wait_for(lambda: setup_complete(env.state(), channel_by_id(env.state(), pub["id"]), m),
                   40), s, "public incident set up")
    check(CAROL not in channel_by_id(env.state(), pub["id"])["members"], s,
          "the DPO is not in a channel without a breach")
    r = env.slash(BOB, pub["id"], "breach")
    body = env.reply(r)
    check(body and "is marked as a suspected breach" in body["text"]
          and "Slack cannot make it private" in body["text"], s,
          "the reply confirms and says the channel stays public: %r" % body)

    def advised():
        c = channel_by_id(env.state(), pub["id"])
        t = [x.get("text", "") for x in bot_messages(c)]
        return c if CAROL in c["members"] and any(
            "Slack cannot make a public channel private" in x for x in t) else None
    c = wait_for(advised, 30)
    check(c, s, "the channel is told it cannot be made private, and the DPO is invited")
    if c:
        check(c["is_private"] is False, s, "the channel stays public")
        check(wait_for(lambda: channel_by_id(env.state(), pub["id"])["topic"]["value"]
                       == "SEV major | investigating | IRM unassigned | breach suspected", 30), s,
              "severity raised to major, topic shows the breach: %r"
              % channel_by_id(env.state(), pub["id"])["topic"]["value"])


def ephemeral_with_action(env, user, action_id, inc_id):
    return wait_for(lambda: [m for m in env.state()["ephemeral"] if m["recipient"] == user
                             and action_id in action_ids(m)
                             and "inc%d_definition" % inc_id in block_ids(m)], 10)


def scenario_below_threshold(env, s="4-below-threshold"):
    n = last_incident_id(env) + 1
    chans = len(env.state()["channels"])
    r = env.slash(ALICE, INCIDENTS, "declare Blip --users 2")
    body = env.reply(r)
    check(body and "*INC-%d: Blip*" % n in body["text"] and "incident definition" in body["text"]
          and "2 users affected" in body["text"], s, "the reply says why: %r" % body)
    acts = action_ids(body or {})
    check("inc_declare_anyway" in acts and "inc_keep_potential" in acts, s,
          "the reply has both buttons: %r" % acts)
    labels = json.dumps((body or {}).get("blocks"))
    check("Declare anyway" in labels and "Track as potential" in labels, s, "button labels")
    check(env.idle(), s, "processed")
    check(len(env.state()["channels"]) == chans and set(k for k, _ in effects_of(
        env, r["envelope_id"])) == {"slack.respond"}, s, "no channel is created yet")
    check(env.scalar("SELECT status FROM incidents WHERE id = ?", (n,)) == "potential", s,
          "recorded as potential")

    eph = ephemeral_with_action(env, ALICE, "inc_declare_anyway", n)
    if check(eph, s, "the ephemeral question is shown to the declarer"):
        c = call(env.base, "/_emu/click", {"user_id": ALICE, "message_ts": eph[0]["ts"],
                                           "action_id": "inc_declare_anyway"})
        check(c.get("ok"), s, "click on Declare anyway delivered: %r" % c)
        ch = incident_channel(env, n)
        check(ch and ch["name"].endswith("-%d-blip" % n), s, "the channel appears: %r"
              % (ch and ch["name"]))
        if ch:
            check(wait_for(lambda: setup_complete(env.state(),
                                                  channel_by_id(env.state(), ch["id"]), n), 40),
                  s, "set up completely after Declare anyway")
        check(wait_for(lambda: [m for m in env.state()["ephemeral"] if m["ts"] == eph[0]["ts"]
                                and "is declared now" in m["text"]], 10), s,
              "the question is replaced by the answer")

    m = last_incident_id(env) + 1
    chans = len(env.state()["channels"])
    r = env.slash(ALICE, INCIDENTS, "declare Blip two --started 5m")
    body = env.reply(r)
    check(body and "15 minutes of the incident definition" in body["text"], s,
          "the reply names the duration rule: %r" % body)
    eph = ephemeral_with_action(env, ALICE, "inc_keep_potential", m)
    if check(eph, s, "the second question is shown"):
        c = call(env.base, "/_emu/click", {"user_id": ALICE, "message_ts": eph[0]["ts"],
                                           "action_id": "inc_keep_potential"})
        check(c.get("ok"), s, "click on Track as potential delivered: %r" % c)
        check(wait_for(lambda: [x for x in env.state()["ephemeral"] if x["ts"] == eph[0]["ts"]
                                and "stays a *potential* incident" in x["text"]], 10), s,
              "the question is replaced by the answer")
    check(env.idle(), s, "processed")
    check(len(env.state()["channels"]) == chans, s, "no channel for a potential incident")
    r = env.slash(CAROL, GENERAL, "list")
    body = env.reply(r)
    text = body.get("text", "") if body else ""
    check(re.search(r"\*INC-%d\* major · potential · Blip two" % m, text), s,
          "/incident list shows it as potential: %r" % text)
    check(re.search(r"\*INC-%d\* major · investigating · <#C[A-Z0-9]+> · Blip\n" % n, text), s,
          "/incident list shows the promoted one as declared: %r" % text)

    # A third: not an incident after all, dismissed with the prompt's third button.
    k = last_incident_id(env) + 1
    chans = len(env.state()["channels"])
    r = env.slash(ALICE, INCIDENTS, "declare Blip three --users 1")
    env.reply(r)
    eph = ephemeral_with_action(env, ALICE, "inc_dismiss", k)
    if check(eph, s, "the third question offers Dismiss"):
        check("Dismiss: not an incident" in json.dumps(eph[0].get("blocks")), s,
              "the Dismiss button's label")
        c = call(env.base, "/_emu/click", {"user_id": BOB, "message_ts": eph[0]["ts"],
                                           "action_id": "inc_dismiss"})
        check(c.get("ok"), s, "click on Dismiss delivered: %r" % c)
        check(wait_for(lambda: [x for x in env.state()["ephemeral"] if x["ts"] == eph[0]["ts"]
                                and "potential INC-%d is dismissed" % k in x["text"]], 10), s,
              "the question is replaced by the answer")
    check(env.idle(), s, "processed")
    check(env.scalar("SELECT status FROM incidents WHERE id = ?", (k,)) == "closed", s,
          "the dismissed incident is closed")
    check(env.scalar("SELECT value FROM incident_attrs WHERE incident_id = ? AND key = "
                     "'cancelled.by'", (k,)) == BOB, s, "the record says who dismissed it")
    check("Dismissed by <@%s>" % BOB in (env.scalar(
          "SELECT text FROM timeline WHERE incident_id = ? AND kind = 'cancel'", (k,)) or ""),
          s, "the timeline has the dismissal")
    check(len(env.state()["channels"]) == chans, s, "no channel for a dismissed incident")
    check(env.scalar("SELECT count(*) FROM outbox WHERE incident_id = ? AND kind != "
                     "'slack.respond'", (k,)) == 0, s, "nothing but the answer was sent for it")


def group_b():
    env = Env("B", extra_config='[oncall]\nusers = ["%s"]\n[roles]\nirm_group = "S0ONCALL001"\n'
              'dpo = "%s"\n' % (BOB, CAROL))
    try:
        run_scenario("2-declare-modal", scenario_modal, env)
        run_scenario("3-breach", scenario_breach, env)
        run_scenario("4-below-threshold", scenario_below_threshold, env)
        check_no_broadcast(env, "B")
        env.stop("B")
    finally:
        env.close()


# ---- C: channel-name collisions ----

def group_c():
    s = "5-collision"
    date = time.strftime("%Y-%m-%d", time.gmtime())
    taken = ["inc-%s-1-db-down" % date, "inc-%s-2-cache-down" % date,
             "inc-%s-2-cache-down-2" % date]
    members = [ALICE, BOB, CAROL, DAVE, BOT]
    workspace = {"channels": [
        {"id": "C0GENERAL01", "name": "general", "is_general": True, "members": members[:4]},
        {"id": "C0RANDOM001", "name": "random", "members": members[:4]},
        {"id": INCIDENTS, "name": "incidents", "members": members},
    ] + [{"id": "C0TAKEN%04d" % i, "name": n, "creator": ALICE, "members": [ALICE]}
         for i, n in enumerate(taken)]}
    env = Env("C", workspace=workspace,
              extra_config='[oncall]\nusers = ["%s"]\n' % BOB)
    try:
        # A 429 on the create, with Retry-After, on top of the collisions.
        f = call(env.base, "/_emu/fault", {"method": "conversations.create", "mode": "429",
                                           "next": 1, "retry_after": 1})
        check(f.get("ok"), s, "fault set: %r" % f)
        for n, title, want in ((1, "DB down", taken[0] + "-2"),
                               (2, "Cache down", taken[1] + "-3")):
            r = env.slash(ALICE, INCIDENTS, "declare %s" % title)
            check(env.reply(r), s, "INC-%d answered" % n)
            if time.strftime("%Y-%m-%d", time.gmtime()) != date:
                print("the UTC date changed during the test; collision checks skipped")
                return
            ch = incident_channel(env, n)
            if not check(ch, s, "INC-%d got a channel despite the taken name" % n):
                continue
            check(ch["name"] == want, s, "INC-%d's channel is %s, got %s" % (n, want, ch["name"]))
            check(ch["creator"] == BOT, s, "a channel of its own, not someone else's")
            st = wait_for(lambda: (lambda st: st if setup_complete(
                st, channel_by_id(st, ch["id"]), n) else None)(env.state()), 40)
            check(st, s, "INC-%d set up completely in its -N channel" % n)
            if st:
                for i, t in enumerate(taken):
                    c = channel_by_id(st, "C0TAKEN%04d" % i)
                    check(c["members"] == [ALICE] and not c["messages"], s,
                          "someone else's channel %s is left alone: %r" % (t, c))
        # A channel of the name that this same bot created (as a lost answer of an earlier
        # attempt would leave it): taken as the incident's channel (docs/design.md), not
        # duplicated as -2.
        name3 = "inc-%s-3-queue-down" % date
        own = web_api(env.base, "conversations.create", {"name": name3})
        check(own.get("ok"), s, "pre-created %s with the bot's token: %r" % (name3, own))
        r = env.slash(ALICE, INCIDENTS, "declare Queue down")
        check(env.reply(r), s, "INC-3 answered")
        ch = incident_channel(env, 3)
        if check(ch, s, "INC-3 got a channel") and own.get("ok"):
            check(ch["id"] == own["channel"]["id"], s, "the bot's own channel of that name is "
                  "taken over: %s vs %s" % (ch["name"], name3))
            check(wait_for(lambda: setup_complete(env.state(),
                                                  channel_by_id(env.state(), ch["id"]), 3), 40),
                  s, "INC-3 set up completely in it")
            check(channel_by_name(env.state(), name3 + "-2") is None, s, "no -2 duplicate")
        check(env.bot.poll() is None, s, "the bot is still running")
        # 429 + name_taken + -2 for INC-1, taken + taken + -3 for INC-2, ours + taken for INC-3.
        st = env.state()
        check(all(f.get("remaining") == 0 for f in st["faults"])
              and st["calls"].get("conversations.create") == 8, s,
              "the 429 was met and the create retried: faults %r, %r creates"
              % (st["faults"], st["calls"].get("conversations.create")))
        rows = env.rows("SELECT state FROM outbox WHERE kind = 'slack.create_channel'")
        check(rows == [("done",)] * 3, s, "every create done: %r" % rows)
        check_no_broadcast(env, "C")
        env.stop("C")
    finally:
        env.close()


# ---- D: 200 declares in a row ----

def group_d():
    s = "6-200-declares"
    count = 200
    env = Env("D", emu_args=["--no-rate-limits"],
              extra_config='[oncall]\nusers = ["%s"]\n' % BOB)
    try:
        t0 = time.time()
        sent = [env.slash(ALICE, INCIDENTS, "declare Incident number %d" % (i + 1))
                for i in range(count)]
        t1 = time.time()
        print("%s: %d declares sent in %.2f s" % (s, count, t1 - t0), flush=True)
        # Every one decided and answered (the fast lane does not wait behind the setups).
        done = wait_for(lambda: env.scalar("SELECT count(*) FROM inbox WHERE state = 'done'"
                                           " AND type = 'slash_commands'") == count, 60)
        check(done, s, "all %d envelopes processed" % count)
        replies = wait_for(lambda: (lambda st: st if all(
            response_posts(st, r["response_url"]) for r in sent) else None)(env.state()), 60)
        check(replies, s, "every declarer got an answer")
        if replies:
            texts = [response_posts(replies, r["response_url"])[0].get("text", "") for r in sent]
            ids = [re.search(r"\*INC-(\d+): Incident number (\d+)\* is declared", t) for t in texts]
            check(all(ids), s, "every answer confirms a declare: %r"
                  % [t for t, i in zip(texts, ids) if not i][:3])
            got = {int(i.group(1)) for i in ids if i}
            check(got == set(range(1, count + 1)), s, "200 distinct incidents INC-1..INC-200")
        rows = env.rows("SELECT i.id, i.title, o.payload FROM incidents i JOIN outbox o ON"
                        " o.incident_id = i.id AND o.kind = 'slack.create_channel' ORDER BY i.id")
        check(len(rows) == count, s, "one channel creation per incident: %d" % len(rows))
        names = [json.loads(p)["names"] for _, _, p in rows]
        firsts = [n[0] for n in names]
        alln = [x for n in names for x in n]
        check(len(set(firsts)) == count and len(set(alln)) == len(alln), s,
              "the names offered (with their -N variants) are all distinct")
        check(all(re.fullmatch(r"inc-\d{4}-\d\d-\d\d-%d-incident-number-\d+" % i, f)
                  for (i, _, _), f in zip(rows, firsts)), s, "names follow the template")

        want = SETUP_N
        print("%s: waiting for the first %d to be set up in Slack (the bot's tier-2 pacing "
              "makes that about 3 s each)" % (s, want), flush=True)

        def complete(upto):
            st = env.state()
            byid = {}
            for iid, cid in env.rows("SELECT id, channel_id FROM incidents WHERE id <= ?",
                                     (upto,)):
                ch = channel_by_id(st, cid) if cid else None
                if not ch or not setup_complete(st, ch, iid):
                    return None
                byid[iid] = ch
            return st, byid
        got = wait_for(lambda: complete(want), 60 + 4 * want)
        check(got, s, "the first %d incidents set up completely in Slack" % want)
        st = env.state()
        chans = [c for c in st["channels"] if c["creator"] == BOT]
        check(len({c["name"] for c in chans}) == len(chans), s, "channel names are unique")
        for c in chans:
            m = re.fullmatch(r"inc-\d{4}-\d\d-\d\d-(\d+)-incident-number-(\d+)", c["name"])
            if not check(m, s, "unexpected channel %r" % c["name"]):
                continue
            iid = int(m.group(1))
            check(len(control_messages(c, iid)) <= 1 and len(pinned(c)) <= 1, s,
                  "%s: at most one control message and pin: %d" % (c["name"],
                                                                     len(control_messages(c, iid))))
            check(set(c["members"]) >= {ALICE, BOT}, s, "%s: declarer is a member" % c["name"])
        ann = [m for m in bot_messages(channel_by_id(st, INCIDENTS))]
        ann_ids = [b for m in ann for b in block_ids(m) if b and b.endswith("_announce")]
        check(len(ann_ids) == len(set(ann_ids)), s, "one announcement per incident")
        if got:
            for iid in range(1, want + 1):
                check(len(announcements(st, iid)) == 1, s, "INC-%d announced once" % iid)
        failed = env.rows("SELECT id, kind, last_error FROM outbox WHERE state = 'failed'")
        check(not failed, s, "no effect failed: %r" % failed[:3])
        print("%s: %d channels set up after %.0f s; %d effects still queued" % (
            s, len(chans), time.time() - t0,
            env.scalar("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')")),
            flush=True)
        env.stop(s)
    finally:
        env.close()


def main():
    t0 = time.time()
    # D spends its time waiting for the bot's paced calls: run it beside the others.
    d = threading.Thread(target=run_scenario, args=("6-200-declares", group_d))
    d.start()
    run_scenario("A", group_a)
    run_scenario("B", group_b)
    run_scenario("C", group_c)
    d.join()
    print("declare_e2e: %.0f s, %d failed" % (time.time() - t0, len(failures)))
    for f in failures:
        print("  FAILED " + f.splitlines()[0])


if __name__ == "__main__":
    main()
    sys.exit(1 if failures else 0)
