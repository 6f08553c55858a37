#!/usr/bin/env bash
# `incidentd backup` as the README documents it, against a running daemon:
# the daemon is started (Slack unreachable on loopback, so it keeps its
# database open and retries), a backup is taken while it runs, checked with
# Python's sqlite3, usage and destination errors are checked, and the
# restore procedure (stop, copy the backup over the database, start) is
# followed to the end.
# Usage: backup_cli_test.sh PATH/TO/incidentd
set -u
BIN=$1
T=$(mktemp -d /tmp/incidentd-backup-cli-XXXXXX)
DAEMON=
fails=0
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Two distinct free ports: the public listener's and the internal one's (/healthz).
read -r PORT IPORT < <(python3 "$(dirname "$0")/free_ports.py" 2)
mkdir -p "$T/var" "$T/backups"
cat > "$T/c.toml" <<EOF
[slack]
api_base_url = "http://127.0.0.1:9/api/"
[store]
path = "$T/var/incidentd.db"
[http]
listen = "127.0.0.1:$PORT"
internal_listen = "127.0.0.1:$IPORT"
EOF
export SLACK_BOT_TOKEN=xoxb-1-2-backuptest0 SLACK_APP_TOKEN=xapp-1-A1-2-backuptest0

start() {
  "$BIN" run -c "$T/c.toml" >>"$T/run.log" 2>&1 &
  DAEMON=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$IPORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "the daemon did not answer /healthz"; cat "$T/run.log"; return 1
}
stop() {
  kill -TERM "$DAEMON"; wait "$DAEMON"; local rc=$?; DAEMON=
  [ $rc -eq 0 ] || fail "the daemon stopped with $rc"
}

# sqlite3 check of a copy: integrity, incidentd's application_id, a schema version, the tables.
check_copy() {
  python3 - "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("PRAGMA application_id").fetchone()[0] == 1229865796
assert db.execute("PRAGMA user_version").fetchone()[0] > 0
assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
assert {"incidents", "timeline", "inbox", "outbox", "meta"} <= tables, tables
EOF
}

start || exit 1
# While it runs: a backup, and a second one replacing the first.
out=$("$BIN" backup "$T/backups/b.db" -c "$T/c.toml" 2>&1); rc=$?
[ $rc -eq 0 ] || fail "backup exited $rc: $out"
echo "$out" | grep -q "^backed up $T/var/incidentd.db to $T/backups/b.db: schema version [0-9]*, [0-9]* bytes, integrity ok$" \
  || fail "backup said: $out"
check_copy "$T/backups/b.db" || fail "the copy does not check out"
[ "$(stat -c %a "$T/backups/b.db")" = 600 ] || fail "the copy is not mode 600"
"$BIN" backup -c "$T/c.toml" "$T/backups/b.db" >/dev/null 2>&1 || fail "a second backup over the first failed"
# Usage errors: exit 2.
"$BIN" backup -c "$T/c.toml" >/dev/null 2>&1; [ $? -eq 2 ] || fail "backup without DEST is not a usage error"
"$BIN" backup a b -c "$T/c.toml" >/dev/null 2>&1; [ $? -eq 2 ] || fail "backup with two DESTs is not a usage error"
"$BIN" backup "$T/x.db" --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "an unknown option is not a usage error"
# Bad destinations and configurations: exit 1, one clear line.
out=$("$BIN" backup "$T/nowhere/b.db" -c "$T/c.toml" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "directory $T/nowhere: No such file or directory" \
  || fail "missing directory: $rc $out"
out=$("$BIN" backup "$T/backups" -c "$T/c.toml" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "is a directory" || fail "directory as DEST: $rc $out"
out=$("$BIN" backup "$T/var/incidentd.db" -c "$T/c.toml" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "the database itself" || fail "the database as DEST: $rc $out"
printf '[store]\npath = "%s/none.db"\n' "$T" > "$T/none.toml"
out=$("$BIN" backup "$T/backups/n.db" -c "$T/none.toml" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "none.db" || fail "missing database: $rc $out"
printf '[store]\npaht = "x"\n' > "$T/bad.toml"
out=$("$BIN" backup "$T/backups/n.db" -c "$T/bad.toml" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "bad.toml:2" || fail "bad configuration: $rc $out"
ls "$T/backups" | grep -q tmp- && fail "a temporary file was left in $T/backups"
stop

# Restore (README "Deployment"): stop, move the database and its -wal/-shm aside, copy the
# backup in, start: the daemon opens it.
mv "$T/var/incidentd.db" "$T/var/incidentd.db.broken"
rm -f "$T/var/incidentd.db-wal" "$T/var/incidentd.db-shm"
cp "$T/backups/b.db" "$T/var/incidentd.db"
start || exit 1
curl -sf "http://127.0.0.1:$IPORT/healthz" | grep -q '"database":"ok"' || fail "restored database not ok"
stop

[ $fails -eq 0 ] && echo "backup cli: ok" && exit 0
exit 1
