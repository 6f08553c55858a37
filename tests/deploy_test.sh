#!/usr/bin/env bash
# The deployment files agree with the binary and with each other:
#  - deploy/*.service and *.timer pass `systemd-analyze verify` with no
#    warning (unknown keys are only warnings there, so any output fails), and
#    incidentd.service's exposure (`systemd-analyze security --offline`) stays
#    at most 2.0; without systemd-analyze, a parse check of the same files;
#  - incidentd.service has the options the README promises (user, env file,
#    state directory, hardening) and runs `incidentd run -c` on a
#    configuration whose [store] path is in its StateDirectory; that
#    configuration, made from config.example.toml as the README says,
#    passes `incidentd check-config`;
#  - the env example sets exactly the variables bot/config.c reads;
#  - the Dockerfile's sed edits still match config.example.toml;
#  - the binary runs with socket() limited to the unit's
#    RestrictAddressFamilies= by a seccomp filter (restrict_af, given as $3):
#    it listens, connects to the Slack emulator and answers /healthz on its
#    internal listener; and
#    with AF_INET6 and AF_INET taken away too, it cannot (the check can fail).
# Usage: deploy_test.sh SOURCE_DIR PATH/TO/incidentd [PATH/TO/restrict_af PATH/TO/slackemu]
set -u
SRC=$1
BIN=$2
SHIM=${3:-}
EMU=${4:-}
T=$(mktemp -d /tmp/incidentd-deploy-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
UNIT=$SRC/deploy/incidentd.service

# 1. systemd's own checks.
for f in incidentd.service incidentd-backup.service incidentd-backup.timer; do
  [ -f "$SRC/deploy/$f" ] || fail "deploy/$f is missing"
  sed "s#/usr/local/bin/incidentd#$BIN#g" "$SRC/deploy/$f" > "$T/$f"
done
if command -v systemd-analyze >/dev/null 2>&1; then
  out=$(cd "$T" && systemd-analyze verify --man=no incidentd.service incidentd-backup.service \
        incidentd-backup.timer 2>&1); rc=$?
  [ $rc -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify ($rc): $out"
  # It must be able to fail: a misspelt option is reported.
  sed 's/^ProtectHome=/ProtectHom=/' "$T/incidentd.service" > "$T/typo.service"
  out=$(cd "$T" && systemd-analyze verify --man=no typo.service 2>&1)
  echo "$out" | grep -q "Unknown key" || fail "verify did not report a misspelt key: $out"
  out=$(cd "$T" && systemd-analyze security --offline=true --no-pager incidentd.service 2>&1)
  level=$(echo "$out" | sed -n 's/.*Overall exposure level for incidentd.service: \([0-9.]*\).*/\1/p')
  [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' \
    || fail "exposure level ${level:-unknown} (> 2.0): $(echo "$out" | grep '✗' | head -20)"
  echo "systemd-analyze: verify clean, exposure $level"
else
  echo "systemd-analyze not found: parse check only"
fi

# 2. Parse check of the unit: [Section] headers and Key=value lines only, and the options
# promised in README "Deployment".
python3 - "$UNIT" "$SRC/deploy/incidentd-backup.service" "$SRC/deploy/incidentd-backup.timer" <<'EOF' || fail "unit parse check"
import re, sys
ok = True
def parse(path):
    global ok
    sections, cur = {}, None
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        m = re.fullmatch(r"\[([A-Za-z]+)\]", line)
        if m:
            cur = sections.setdefault(m.group(1), {})
            continue
        m = re.fullmatch(r"([A-Za-z]+)=(.*)", line)
        if not m or cur is None:
            print("%s:%d: not a [Section] or Key=value line: %s" % (path, no, line)); ok = False
            continue
        cur.setdefault(m.group(1), []).append(m.group(2))
    return sections
svc = parse(sys.argv[1])
want = {
    "User": "incidentd", "EnvironmentFile": "/etc/incidentd/incidentd.env",
    "StateDirectory": "incidentd", "WorkingDirectory": "/var/lib/incidentd",
    "ExecStart": "/usr/local/bin/incidentd run -c /etc/incidentd/config.toml",
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
    "PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "MemoryDenyWriteExecute": "yes",
    "LockPersonality": "yes", "Restart": "on-failure", "SystemCallFilter": "@system-service",
}
for k, v in want.items():
    got = svc.get("Service", {}).get(k, [])
    if v not in got:
        print("incidentd.service: [Service] %s=%s expected, found %s" % (k, v, got)); ok = False
if "multi-user.target" not in svc.get("Install", {}).get("WantedBy", []):
    print("incidentd.service: WantedBy=multi-user.target missing"); ok = False
bk = parse(sys.argv[2])
if "incidentd" not in " ".join(bk.get("Service", {}).get("StateDirectory", [])).split() \
        or bk.get("Service", {}).get("User") != ["incidentd"]:
    print("incidentd-backup.service must run as incidentd with the database's StateDirectory"); ok = False
if not any(" backup " in e for e in bk.get("Service", {}).get("ExecStart", [])):
    print("incidentd-backup.service does not run incidentd backup"); ok = False
tm = parse(sys.argv[3])
if not tm.get("Timer", {}).get("OnCalendar"):
    print("incidentd-backup.timer has no OnCalendar"); ok = False
sys.exit(0 if ok else 1)
EOF

# 3. The configuration the README installs: config.example.toml with the database in the
# state directory passes check-config, and its [store] path is where the unit writes.
sed 's#^path = "var/incidentd.db"#path = "/var/lib/incidentd/incidentd.db"#' \
  "$SRC/config.example.toml" > "$T/config.toml"
grep -qx 'path = "/var/lib/incidentd/incidentd.db"' "$T/config.toml" \
  || fail "config.example.toml has no 'path = \"var/incidentd.db\"' line to change"
"$BIN" check-config "$T/config.toml" >/dev/null || fail "the README's service configuration fails check-config"
# The Dockerfile's edits of the same file still apply.
for pat in 's#^path = "var/incidentd.db"#' 's#^listen = "127.0.0.1:8080"#' \
           's#^internal_listen = "127.0.0.1:8081"#'; do
  grep -qF "$pat" "$SRC/Dockerfile" || fail "the Dockerfile no longer edits $pat"
done
for line in 'listen = "127.0.0.1:8080"' 'internal_listen = "127.0.0.1:8081"'; do
  grep -qxF "$line" "$SRC/config.example.toml" \
    || fail "config.example.toml has no '$line' line for the Dockerfile"
done

# 4. The env example: exactly the variables the code reads.
vars=$(grep -oE '^#?[A-Z_]+=' "$SRC/deploy/incidentd.env.example" | tr -d '#=' | sort | tr '\n' ' ')
[ "$vars" = "SLACK_APP_TOKEN SLACK_BOT_TOKEN STATUSPAGE_API_KEY " ] || fail "env example sets: $vars"
for v in SLACK_APP_TOKEN SLACK_BOT_TOKEN STATUSPAGE_API_KEY; do
  grep -q "\"$v\"" "$SRC/bot/config.c" || fail "bot/config.c does not read $v"
done

# 5. The binary under the unit's RestrictAddressFamilies=.
if [ -n "$SHIM" ] && ! "$SHIM" "AF_UNIX" true 2>/dev/null; then
  echo "seccomp filters unavailable here: the address family check is skipped"
elif [ -n "$SHIM" ] && [ -n "$EMU" ]; then
  fams=$(sed -n 's/^RestrictAddressFamilies=//p' "$UNIT")
  EPORT=$(python3 "$(dirname "$0")/free_ports.py" 1)
  "$EMU" --port "$EPORT" --quiet > "$T/emu.log" 2>&1 & PIDS+=($!)
  mkdir -p "$T/var"
  for _ in $(seq 50); do curl -s "http://127.0.0.1:$EPORT/_emu/state" >/dev/null 2>&1 && break; sleep 0.1; done
  # run_filtered FAMILIES: starts incidentd under the filter; prints /healthz (internal
  # listener) once the Slack link is up (or what it said last after 10 s), then stops it.
  run_filtered() {
    local pport hport health bot rc
    read -r pport hport < <(python3 "$(dirname "$0")/free_ports.py" 2)
    printf '[slack]\napi_base_url = "http://127.0.0.1:%s/api/"\n[store]\npath = "%s/var/i.db"\n[http]\nlisten = "127.0.0.1:%s"\ninternal_listen = "127.0.0.1:%s"\n' \
      "$EPORT" "$T" "$pport" "$hport" > "$T/af.toml"
    SLACK_BOT_TOKEN=xoxb-1-2-deploytest0 SLACK_APP_TOKEN=xapp-1-A1-2-deploytest0 \
      "$SHIM" "$1" "$BIN" run -c "$T/af.toml" > "$T/af.log" 2>&1 &
    bot=$!; PIDS+=($bot)
    for _ in $(seq 100); do
      health=$(curl -s "http://127.0.0.1:$hport/healthz" 2>/dev/null)
      echo "$health" | grep -q '"slack":"connected"' && break
      sleep 0.1
    done
    kill -TERM "$bot" 2>/dev/null; wait "$bot" 2>/dev/null; rc=$?
    echo "$health rc=$rc"
  }
  out=$(run_filtered "$fams")
  echo "$out" | grep -q '"database":"ok","slack":"connected".* rc=0$' \
    || fail "under RestrictAddressFamilies=$fams: $out; log: $(tail -5 "$T/af.log")"
  echo "under RestrictAddressFamilies=$fams: $out"
  out=$(run_filtered "AF_UNIX")
  echo "$out" | grep -q '"slack":"connected"' && fail "the filter did not bite: AF_UNIX only, yet $out"
fi

[ $fails -eq 0 ] && echo "deploy: ok" && exit 0
exit 1
