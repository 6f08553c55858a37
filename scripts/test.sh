#!/usr/bin/env bash
# The README's test command: installs what is missing, builds from scratch
# twice (normal, and with AddressSanitizer + UndefinedBehaviorSanitizer),
# runs the whole ctest suite in both, and runs the unit tests under valgrind.
# Set INCIDENTD_SHARED_DIR to point at the shared samples if they are not in ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

shared="${INCIDENTD_SHARED_DIR:-$(cd .. && pwd)/shared}"
jobs="$(nproc 2>/dev/null || echo 2)"

build() { # build DIR CMAKE-ARGS...
  local dir=$1; shift
  rm -rf "$dir"
  cmake -S . -B "$dir" -DINCIDENTD_SHARED_DIR="$shared" "$@"
  cmake --build "$dir" -j "$jobs"
}

echo "== normal build"
build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir build --output-on-failure -j "$jobs" -LE bench

echo "== sanitizer build (ASan + UBSan)"
build build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE bench

echo "== valgrind (unit tests of the normal build)"
ctest --test-dir build --output-on-failure -j "$jobs" -L unit -T memcheck

echo "== the README's run command (without tokens it must stop with a clear message)"
out=$(env -u SLACK_BOT_TOKEN -u SLACK_APP_TOKEN ./scripts/run.sh 2>&1) && rc=0 || rc=$?
if [ "$rc" -ne 1 ] || ! printf '%s' "$out" | grep -q "SLACK_BOT_TOKEN is not set"; then
  printf '%s\n' "$out" | tail -20
  echo "run.sh: expected exit 1 naming SLACK_BOT_TOKEN, got exit $rc" >&2
  exit 1
fi

echo "== all tests passed"
