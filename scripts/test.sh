#!/usr/bin/env bash
# The README's test command: installs what is missing, builds from scratch
# twice (normal, and with AddressSanitizer + UndefinedBehaviorSanitizer),
# runs the whole ctest suite in both (the slow container image test, label
# image, only in the first), runs the unit tests under valgrind,
# gives each libFuzzer target (clang) a short deterministic run, and checks
# the README's run command (console mode, scripted).
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
# The image test's cache (debootstrap base, podman layers) outlives `rm -rf build`.
INCIDENTD_IMAGE_CACHE="$PWD/build-image-cache" \
  ctest --test-dir build --output-on-failure -j "$jobs" -LE bench

echo "== sanitizer build (ASan + UBSan)"
build build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE 'bench|image'

echo "== valgrind (unit tests of the normal build)"
ctest --test-dir build --output-on-failure -j "$jobs" -L unit -T memcheck

echo "== fuzz targets (clang, libFuzzer): build, then a short deterministic run of each"
rm -rf build-fuzz
CC=clang cmake -S . -B build-fuzz -DFUZZ=ON -DINCIDENTD_SHARED_DIR="$shared" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_toml fuzz_cmd fuzz_slack fuzz_page
for f in fuzz_toml fuzz_cmd fuzz_slack fuzz_page; do
  bin=$(find build-fuzz -type f -name "$f" -perm -u+x | head -n 1)
  "$bin" -runs=200000 -seed=1 -max_len=4096 >/dev/null 2>"build-fuzz/$f.log" ||
    { tail -30 "build-fuzz/$f.log"; echo "$f found a crash" >&2; exit 1; }
  echo "$f: 200000 runs clean"
done

echo "== the README's run command (console mode on the embedded defaults, with the status page up)"
rm -f var/console.db var/console.db-wal var/console.db-shm var/console.db.workspace.json
out=$(printf '/incident declare The run command works\n/page\n/quit\n' | ./scripts/run.sh 2>&1) && rc=0 || rc=$?
for want in "console: the terminal is the Slack workspace" "status page: http://127.0.0.1:8080/" \
            "health and metrics (internal): http://127.0.0.1:8081/healthz" \
            "INC-1: The run command works\* is declared" "incidentd created the public channel" \
            "-- bye"; do
  if ! printf '%s' "$out" | grep -q -- "$want"; then
    printf '%s\n' "$out" | tail -30
    echo "run.sh: the console transcript lacks \"$want\" (exit $rc)" >&2
    exit 1
  fi
done
[ "$rc" -eq 0 ] || { echo "run.sh: exit $rc" >&2; exit 1; }
rm -f var/console.db var/console.db-wal var/console.db-shm var/console.db.workspace.json

echo "== all tests passed"
