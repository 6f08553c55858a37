#!/usr/bin/env bash
# Drives the real incidentd binary: --help/--version, check-config on good
# and bad files, `run` refusing bad secrets and unusable database paths
# without creating anything, and a real run that serves /healthz on its
# internal loopback listener only (404 on the public one), never logs a
# token, and stops cleanly on SIGTERM.
# usage: cli_test.sh path/to/incidentd source-dir
set -u
bin=$1
src=$2
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passes=0

ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect CODE PATTERN -- command...: exit status and a regex on stdout+stderr.
expect() {
  local code=$1 pat=$2; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$code" ]; then bad "$*: exit $rc, wanted $code; output: $out"; return; fi
  if ! printf '%s' "$out" | grep -Eq -- "$pat"; then bad "$*: output lacks /$pat/: $out"; return; fi
  ok
}

unset SLACK_BOT_TOKEN SLACK_APP_TOKEN STATUSPAGE_API_KEY
good_bot=xoxb-1111-2222-SeCrEtBoTvAlUe
good_app=xapp-1-A0001-3333-SeCrEtApPvAlUe

expect 0 '^incidentd [0-9]+\.[0-9]+\.[0-9]+$' -- "$bin" --version
expect 0 'exit status' -- "$bin" --help
expect 2 'unknown command "frobnicate"' -- "$bin" frobnicate
expect 2 'usage' -- "$bin"
expect 2 'usage: incidentd check-config FILE' -- "$bin" check-config
expect 0 '^ok$' -- "$bin" check-config "$src/config.example.toml"
expect 0 '^\[slack\]' -- "$bin" config-reference

printf '[slack]\nconections = 2\n[store]\npath = 5\n' > "$tmp/bad.toml"
expect 1 "bad.toml:2: \[slack\] unknown key \"conections\" \(did you mean \"connections\"\?\)" -- \
  "$bin" check-config "$tmp/bad.toml"
expect 1 'bad.toml:4: \[store\] path: expected a string, got an integer' -- \
  "$bin" check-config "$tmp/bad.toml"
printf '[slack\n' > "$tmp/syntax.toml"
expect 1 'syntax.toml:1:[0-9]+: ' -- "$bin" check-config "$tmp/syntax.toml"
expect 1 'cannot open' -- "$bin" check-config "$tmp/missing.toml"

# console: option errors before anything starts; a bad configuration names its line
expect 2 'unexpected argument "extra"' -- "$bin" console extra
expect 2 'no person called zed' -- "$bin" console -u zed
expect 1 "bad.toml:2: \[slack\] unknown key \"conections\"" -- "$bin" console -c "$tmp/bad.toml"
# check-config needs no secrets, even when the environment has bad ones.
SLACK_BOT_TOKEN=nonsense expect 0 '^ok$' -- "$bin" check-config "$src/config.example.toml"

# The Dockerfile rewrites three lines of the example; they must exist as written.
for line in 'path = "var/incidentd.db"' 'listen = "127.0.0.1:8080"' \
            'internal_listen = "127.0.0.1:8081"'; do
  grep -qxF "$line" "$src/config.example.toml" && ok || bad "config.example.toml lacks '$line' (Dockerfile sed)"
  grep -qF "s#^$line#" "$src/Dockerfile" && ok || bad "Dockerfile no longer rewrites '$line'"
done

# run: secrets are required and checked; nothing is created when they are wrong.
# Two distinct free ports: the public listener's and the internal one's.
read -r port iport < <(python3 "$(dirname "$0")/free_ports.py" 2)
# Slack is never contacted by tests: the Web API points at a closed loopback port.
cat > "$tmp/run.toml" <<EOT
[slack]
api_base_url = "http://127.0.0.1:9/api/"
[store]
path = "$tmp/data/incidentd.db"
[http]
listen = "127.0.0.1:$port"
internal_listen = "127.0.0.1:$iport"
EOT
mkdir "$tmp/data"
expect 1 'SLACK_BOT_TOKEN is not set' -- "$bin" run -c "$tmp/run.toml"
SLACK_BOT_TOKEN=$good_bot SLACK_APP_TOKEN=$good_bot \
  expect 1 'SLACK_APP_TOKEN: expected the app-level token starting with xapp-, got a bot token' -- \
  "$bin" run -c "$tmp/run.toml"
[ -e "$tmp/data/incidentd.db" ] && bad "a database was created despite bad secrets" || ok
expect 2 'unexpected argument' -- "$bin" run -c "$tmp/run.toml" extra

# An unusable database path is one clear line, and nothing is created.
sed "s#$tmp/data/incidentd.db#$tmp/nodir/incidentd.db#" "$tmp/run.toml" > "$tmp/nodir.toml"
SLACK_BOT_TOKEN=$good_bot SLACK_APP_TOKEN=$good_app \
  expect 1 "nodir" -- "$bin" run -c "$tmp/nodir.toml"
[ -e "$tmp/nodir" ] && bad "run created the missing directory" || ok

# A CA file that cannot be read is one clear line naming the key and the file.
sed 's#^api_base_url = .*#&\nca_file = "/nonexistent/ca.pem"#' "$tmp/run.toml" > "$tmp/ca.toml"
SLACK_BOT_TOKEN=$good_bot SLACK_APP_TOKEN=$good_app \
  expect 1 '\[slack\] ca_file /nonexistent/ca.pem: No such file or directory' -- \
  "$bin" run -c "$tmp/ca.toml"

# A database from a newer schema is refused and left alone.
sqlite3 "$tmp/data/newer.db" 'PRAGMA user_version = 9999; CREATE TABLE t(x);'
sed "s#$tmp/data/incidentd.db#$tmp/data/newer.db#" "$tmp/run.toml" > "$tmp/newer.toml"
before=$(sha256sum "$tmp/data/newer.db")
SLACK_BOT_TOKEN=$good_bot SLACK_APP_TOKEN=$good_app \
  expect 1 "9999" -- "$bin" run -c "$tmp/newer.toml"
[ "$before" = "$(sha256sum "$tmp/data/newer.db")" ] && ok || bad "newer database was changed"

# internal_listen on listen's address is one clear line naming the key.
sed "s#^internal_listen = .*#internal_listen = \"127.0.0.1:$port\"#" "$tmp/run.toml" > "$tmp/same.toml"
expect 1 "same.toml:7: \[http\] internal_listen \(\"127.0.0.1:$port\"\) must be another address than listen" -- \
  "$bin" check-config "$tmp/same.toml"

# A real run: /healthz answers on the internal listener, SIGTERM stops it cleanly, tokens
# never logged.
SLACK_BOT_TOKEN=$good_bot SLACK_APP_TOKEN=$good_app \
  "$bin" run -c "$tmp/run.toml" 2> "$tmp/run.log" &
pid=$!
up=""
for _ in $(seq 1 100); do
  if body=$(curl -fsS "http://127.0.0.1:$iport/healthz" 2>/dev/null); then up=1; break; fi
  sleep 0.1
done
if [ -n "$up" ] && printf '%s' "$body" | grep -q '"database":"ok"'; then ok; else
  bad "healthz did not answer ok: ${body:-nothing}; log: $(cat "$tmp/run.log")"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope")
[ "$code" = 404 ] && ok || bad "unknown path answered $code, wanted 404"
for path in /healthz /metrics; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
  [ "$code" = 404 ] && ok || bad "public $path answered $code, wanted 404"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$iport/metrics")
[ "$code" = 200 ] && ok || bad "internal /metrics answered $code, wanted 200"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
[ "$code" = 200 ] && ok || bad "public / answered $code, wanted 200"
# A second bot whose internal address is taken (by the first) says which key, and stops.
sed -e "s#^listen = .*#listen = \"127.0.0.1:0\"#" -e "s#$tmp/data/#$tmp/data/second-#" \
  "$tmp/run.toml" > "$tmp/taken.toml"
SLACK_BOT_TOKEN=$good_bot SLACK_APP_TOKEN=$good_app \
  expect 1 "\[http\] internal_listen 127.0.0.1:$iport: cannot listen" -- "$bin" run -c "$tmp/taken.toml"
kill -TERM "$pid"
wait "$pid"; rc=$?
pid=""
[ "$rc" -eq 0 ] && ok || bad "run exited $rc after SIGTERM; log: $(cat "$tmp/run.log")"
grep -q 'msg="incidentd stopped"' "$tmp/run.log" && ok || bad "no clean stop logged"
if grep -q 'SeCrEt' "$tmp/run.log"; then bad "a token value appears in the log"; else ok; fi
v=$(sqlite3 "$tmp/data/incidentd.db" 'PRAGMA user_version;')
[ "${v:-0}" -ge 1 ] && ok || bad "database not migrated (user_version=$v)"
j=$(sqlite3 "$tmp/data/incidentd.db" 'PRAGMA journal_mode;')
[ "$j" = wal ] && ok || bad "database not in WAL mode ($j)"
# The database is its owner's only (the test runs under the caller's umask, usually 022).
m=$(stat -c %a "$tmp/data/incidentd.db")
[ "$m" = 600 ] && ok || bad "database created with mode $m, wanted 600"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
