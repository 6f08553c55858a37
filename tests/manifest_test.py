#!/usr/bin/env python3
"""The Slack app manifest asks for exactly the bot scopes the code needs.

Usage: manifest_test.py SOURCE_DIR

Reads SOURCE_DIR/slack-app-manifest.yml and the C sources of the binary
(bot/, commands/, slack/, statuspage/, store/, common/), finds every Slack
Web API method the code calls, and checks:
  - every called method is in SCOPES below (a new method needs its scopes
    looked up and written down first);
  - the manifest's bot scopes are exactly the union of the called methods'
    scopes, plus `commands` for the slash command: nothing missing, nothing
    that no call needs;
  - Socket Mode and interactivity are on, /incident is the one slash
    command, with should_escape true (plan_parse_user takes <@U...> only),
    and no events are subscribed (the worker handles none).
Then it runs the same checks on altered copies (an extra call, an extra
scope, a missing scope, an unclassified method name) and fails unless each
alteration is caught, so the checker itself cannot silently pass.

A Slack method name in the source counts as a call when it is the method
argument of plan_call / plan_call_linking / slack_api_call /
slack_api_call_ex / call_api / slack_api_paginate, or the value after "method" in an effect payload. It is
ignored in the two lookup tables that list methods without calling them
(slack_api.c json_methods, slack_ratelimit.c method_tiers), in comments and
in strcmp() comparisons. Anywhere else the test fails and asks for the use
to be classified here, so a call through a variable is not missed.
bot/console*.c is not read: console mode talks to no Slack, it plays the
effects that commands/ produced, and those are found there.
"""
import os
import re
import sys

# Method -> the bot scopes it needs as incidentd calls it. Sources:
#  REF   = Slack's method page as JSON, ../shared/slack-samples/web-api/
#          method-docs/<method>.json ("scope" -> "bot"), i.e.
#          https://docs.slack.dev/reference/methods/<method>.json
#  SPECS = Slack's OpenAPI description, ../shared/slack-samples/openapi/
#          slack_web_openapi_v2.json (security -> slackAuth)
#  SCOPE = https://docs.slack.dev/reference/scopes/<scope>
# The conversations.* methods need one scope per kind of conversation: the
# bot uses public and private channels (private on a suspected breach), never
# DMs or group DMs, so im:* and mpim:* are left out.
SCOPES = {
    # App-level token (xapp-, connections:write), not the bot token. REF: no scope.
    "apps.connections.open": [],
    # REF: "no_scope_required": true.
    "auth.test": [],
    # REF: bookmarks:write. The call link as a channel bookmark.
    "bookmarks.add": ["bookmarks:write"],
    # REF: chat:write. SCOPE chat:write.public: posting in a channel the app is
    # not a member of; the bot posts in [slack] announce_channel and
    # support_channel without joining them (it never calls conversations.join).
    "chat.postMessage": ["chat:write", "chat:write.public"],
    # REF: chat:write.
    "chat.update": ["chat:write"],
    # REF bot: channels:manage (public), groups:write (private); the other
    # entries are for im/mpim or user tokens.
    "conversations.create": ["channels:manage", "groups:write"],
    # REF bot: channels:manage / groups:write (channels:write.invites and
    # groups:write.invites would also do, but create needs the former anyway).
    "conversations.invite": ["channels:manage", "groups:write"],
    # REF bot: channels:manage / groups:write (or the *:write.topic scopes, as above).
    "conversations.setPurpose": ["channels:manage", "groups:write"],
    "conversations.setTopic": ["channels:manage", "groups:write"],
    # SPECS: channels:read, groups:read, im:read, mpim:read by type; called
    # with types=public_channel,private_channel (delivery.c own_channel).
    "conversations.list": ["channels:read", "groups:read"],
    # SPECS: channels:history, groups:history, im:history, mpim:history by
    # type; reads incident channels (public or private) for a lost post.
    "conversations.history": ["channels:history", "groups:history"],
    # SPECS: the same history scopes as conversations.history; reads a thread of an
    # incident or announcement channel for a reply whose answer was lost (issue 15).
    "conversations.replies": ["channels:history", "groups:history"],
    # REF: pins:write.
    "pins.add": ["pins:write"],
    # REF: usergroups:read.
    "usergroups.users.list": ["usergroups:read"],
    # SPECS: users:read.
    "users.list": ["users:read"],
    # REF: "no_scope_required": true (the trigger_id is the authorisation).
    "views.open": [],
}
# Scopes that come from the manifest's features rather than a method: a slash
# command needs `commands` (SCOPE commands). Replies to it go to its
# response_url, which needs no scope.
FEATURE_SCOPES = {"commands": "features.slash_commands"}

# Slack Web API method families (https://docs.slack.dev/reference/methods).
FAMILIES = ("admin", "api", "apps", "assistant", "auth", "bookmarks", "bots", "calls",
            "canvases", "chat", "conversations", "dialog", "dnd", "emoji", "files",
            "functions", "lists", "migration", "oauth", "openid", "pins", "reactions",
            "reminders", "rtm", "search", "slackLists", "stars", "team", "tooling",
            "usergroups", "users", "views", "workflows")
METHOD_RE = re.compile(r'"((?:%s)\.[A-Za-z][A-Za-z.]*)"' % "|".join(FAMILIES))
CALL_RE = re.compile(r'\b(plan_call|plan_call_linking|slack_api_call|slack_api_call_ex|call_api|'
                     r'slack_api_paginate)\s*\(')
SOURCE_DIRS = ("bot", "commands", "slack", "statuspage", "store", "common")
LIST_TABLES = ("json_methods[]", "method_tiers[]")


def strip_comments(text):
    """C comments replaced by spaces (newlines kept, so line numbers hold)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def classify(text, pos):
    """'call', 'ignore' or 'unknown' for the method literal at pos."""
    start = max(text.rfind(";", 0, pos), text.rfind("{", 0, pos), text.rfind("}", 0, pos))
    stmt = text[start + 1:pos]
    if re.search(r'"method"\s*,\s*$', stmt) or CALL_RE.search(stmt):
        return "call"
    if re.search(r"\bstrn?cmp\s*\([^;]*$", stmt):
        return "ignore"
    # Inside a lookup table's initializer: the statement that opened it names it.
    decl_start = text.rfind(";", 0, pos)
    decl = text[decl_start + 1:pos]
    if any(t in decl for t in LIST_TABLES):
        return "ignore"
    return "unknown"


def called_methods(files):
    """{method: [file:line, ...]} of calls, and a list of unclassified uses."""
    calls, unknown = {}, []
    for name, text in files:
        code = strip_comments(text)
        for m in METHOD_RE.finditer(code):
            where = "%s:%d" % (name, code.count("\n", 0, m.start()) + 1)
            kind = classify(code, m.start())
            if kind == "call":
                calls.setdefault(m.group(1), []).append(where)
            elif kind == "unknown":
                unknown.append("%s: %s" % (where, m.group(1)))
    return calls, unknown


def read_sources(root):
    files = []
    for d in SOURCE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            for n in sorted(names):
                if not n.endswith((".c", ".h")) or n.startswith("console"):
                    continue
                p = os.path.join(dirpath, n)
                with open(p, encoding="utf-8") as f:
                    files.append((os.path.relpath(p, root), f.read()))
    return files


def parse_yaml_subset(text):
    """Parses the manifest's YAML subset into dicts, lists and strings.

    Mappings `key: value` / `key:` + a deeper block, lists `- scalar` and
    `- key: value` (a mapping item, its other keys indented two more), full
    line comments, "double-quoted" scalars. Anything else is an error, so an
    edit outside the subset fails loudly instead of being misread."""
    lines = []
    for no, raw in enumerate(text.split("\n"), 1):
        if raw.strip() == "" or raw.lstrip().startswith("#"):
            continue
        if "\t" in raw:
            raise ValueError("line %d: tab" % no)
        body = raw.lstrip(" ")
        indent = len(raw) - len(body)
        if indent % 2:
            raise ValueError("line %d: indentation is not a multiple of 2" % no)
        lines.append((no, indent, body))

    def scalar(s, no):
        s = re.sub(r"\s+#.*$", "", s).strip() if not s.startswith('"') else s.strip()
        if s.startswith('"'):
            if not s.endswith('"') or len(s) < 2:
                raise ValueError("line %d: unterminated string" % no)
            return s[1:-1]
        if s[:1] in "{[&*!|>'":
            raise ValueError("line %d: outside the subset: %s" % (no, s))
        return s

    pos = [0]

    def block(indent):
        if pos[0] >= len(lines):
            raise ValueError("empty block at end")
        is_list = lines[pos[0]][2].startswith("- ")
        result = [] if is_list else {}
        while pos[0] < len(lines):
            no, ind, body = lines[pos[0]]
            if ind < indent:
                break
            if ind > indent:
                raise ValueError("line %d: unexpected indentation" % no)
            if is_list != body.startswith("- "):
                raise ValueError("line %d: list and mapping mixed" % no)
            if is_list:
                item = body[2:]
                if re.match(r"[A-Za-z_]+:( |$)", item):
                    # A mapping item: rewrite it as a mapping two deeper.
                    lines[pos[0]] = (no, indent + 2, item)
                    result.append(block(indent + 2))
                else:
                    result.append(scalar(item, no))
                    pos[0] += 1
                continue
            m = re.match(r"([A-Za-z_]+):(?: (.*))?$", body)
            if not m:
                raise ValueError("line %d: expected key: value" % no)
            key, value = m.group(1), m.group(2)
            if key in result:
                raise ValueError("line %d: duplicate key %s" % (no, key))
            pos[0] += 1
            if value is None or value.strip() == "" or value.strip().startswith("#"):
                if pos[0] >= len(lines) or lines[pos[0]][1] <= indent:
                    raise ValueError("line %d: %s has no value" % (no, key))
                result[key] = block(lines[pos[0]][1])
            else:
                result[key] = scalar(value, no)
        return result

    doc = block(0)
    if pos[0] != len(lines):
        raise ValueError("line %d: trailing content" % lines[pos[0]][0])
    return doc


def get(doc, path):
    for k in path.split("."):
        if not isinstance(doc, dict) or k not in doc:
            return None
        doc = doc[k]
    return doc


def check(files, manifest_text):
    """Every problem found, as strings; empty when all is well."""
    problems = []
    try:
        man = parse_yaml_subset(manifest_text)
    except ValueError as e:
        return ["manifest: " + str(e)]
    calls, unknown = called_methods(files)
    for u in unknown:
        problems.append("%s: a Slack method name used neither as a call nor in a known table; "
                        "classify it in tests/manifest_test.py" % u)
    if not calls:
        problems.append("no Web API calls found in the source: the extraction is broken")
    need = {}
    for method, where in sorted(calls.items()):
        if method not in SCOPES:
            problems.append("%s calls %s, which has no entry in SCOPES: look up its scopes "
                            "(docs.slack.dev/reference/methods/%s) and add them" %
                            (where[0], method, method))
            continue
        for s in SCOPES[method]:
            need.setdefault(s, []).append(method)
    for s, feature in FEATURE_SCOPES.items():
        if get(man, feature) is not None:
            need.setdefault(s, []).append(feature)
    bot = get(man, "oauth_config.scopes.bot")
    if not isinstance(bot, list) or not all(isinstance(s, str) for s in bot):
        problems.append("manifest: oauth_config.scopes.bot is not a list of scopes")
        bot = []
    if len(set(bot)) != len(bot):
        problems.append("manifest: a bot scope is listed twice")
    for s in sorted(set(need) - set(bot)):
        problems.append("manifest lacks bot scope %s, needed by %s" % (s, ", ".join(need[s])))
    for s in sorted(set(bot) - set(need)):
        problems.append("manifest asks for bot scope %s, which no call needs" % s)
    if get(man, "oauth_config.scopes.user") is not None:
        problems.append("manifest: user scopes requested; the bot uses no user token")
    if get(man, "settings.socket_mode_enabled") != "true":
        problems.append("manifest: settings.socket_mode_enabled must be true")
    if get(man, "settings.interactivity.is_enabled") != "true":
        problems.append("manifest: settings.interactivity.is_enabled must be true "
                        "(buttons, menus, forms)")
    if get(man, "settings.event_subscriptions") is not None:
        problems.append("manifest: event subscriptions, but the worker handles no events")
    cmds = get(man, "features.slash_commands")
    if not isinstance(cmds, list) or [c.get("command") for c in cmds if isinstance(c, dict)] \
            != ["/incident"]:
        problems.append("manifest: features.slash_commands must be exactly /incident")
    else:
        c = cmds[0]
        if c.get("should_escape") != "true":
            problems.append("manifest: /incident should_escape must be true: the parser takes "
                            "mentions as <@U...> (commands/plan.c plan_parse_user)")
        if not c.get("description") or not c.get("usage_hint"):
            problems.append("manifest: /incident needs a description and a usage_hint")
        if c.get("url") is not None:
            problems.append("manifest: a slash command url is for HTTP mode, not Socket Mode")
    if not get(man, "features.bot_user.display_name"):
        problems.append("manifest: features.bot_user.display_name is missing")
    return problems


def self_test(files, manifest_text):
    """The checker must catch each alteration; returns failures of the checker."""
    failures = []
    extra_call = ("extra.c", 'void f(void) { plan_call(p, 1, "reactions.add", a, e); }\n')
    extra_known = ("extra.c", 'void f(void) { call_api(api, "users.list", a, 0, &r, &ra, e); }\n')
    hidden = ("extra.c", 'static const char *m = "files.upload";\n')
    bot_block = re.search(r"(    bot:\n)((?:      - .*\n)+)", manifest_text)
    cases = [
        ("a call to a method without a table entry", files + [extra_call], manifest_text),
        ("a method name outside a call or table", files + [hidden], manifest_text),
        ("a scope nothing needs",
         files, manifest_text.replace("      - users:read\n",
                                      "      - users:read\n      - reactions:write\n")),
        ("a missing scope", files, manifest_text.replace("      - pins:write\n", "")),
        ("a scope needed only by a removed call",
         [(n, t.replace('"users.list"', '"not_a_method"')) for n, t in files], manifest_text),
        ("should_escape false", files,
         manifest_text.replace("should_escape: true", "should_escape: false")),
        ("socket mode off", files,
         manifest_text.replace("socket_mode_enabled: true", "socket_mode_enabled: false")),
        ("YAML outside the subset", files,
         manifest_text.replace("    bot:\n", "    bot: [chat:write]\n    x:\n")),
    ]
    if bot_block is None:
        failures.append("self-test: cannot find the bot scope block in the manifest")
    for what, f, m in cases:
        if not check(f, m):
            failures.append("self-test: the checker missed %s" % what)
    # An extra call to a method already in the table adds nothing: still clean.
    if check(files + [extra_known], manifest_text):
        failures.append("self-test: a second call to a known method was flagged")
    return failures


def main():
    if len(sys.argv) != 2:
        print("usage: manifest_test.py SOURCE_DIR", file=sys.stderr)
        return 2
    root = sys.argv[1]
    with open(os.path.join(root, "slack-app-manifest.yml"), encoding="utf-8") as f:
        manifest_text = f.read()
    files = read_sources(root)
    problems = check(files, manifest_text) + self_test(files, manifest_text)
    calls, _ = called_methods(files)
    for method in sorted(calls):
        print("called: %-26s -> %s" % (method, ", ".join(SCOPES.get(method, ["?"])) or "(none)"))
    for p in problems:
        print("FAIL: " + p)
    print("%d problem(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
