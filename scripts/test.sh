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

echo "== all tests passed"
