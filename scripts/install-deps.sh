#!/usr/bin/env bash
# Installs, with apt-get, everything incidentd needs to build and test on
# Debian 12, and skips what is already installed, so running it twice is
# cheap. Use --runtime for the libraries a running incidentd needs only
# (the Dockerfile's final stage), --bench for the benchmarks' wrk and nginx.
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  libwebsockets-dev libcjson-dev libcurl4-openssl-dev libsqlite3-dev libssl-dev
  ca-certificates
)
# chromium: tests/e2e/browser_e2e.py loads the status page in it (headless)
# podman, debootstrap: tests/image_test.sh builds the Dockerfile on a local Debian base
test_pkgs=(valgrind curl python3 sqlite3 openssl clang libclang-rt-14-dev chromium podman debootstrap)
# Only for tests/bench/page_bench.py (not the test suite): the load generator and the
# static-file server it compares against.
bench_pkgs=(wrk nginx-light)
# tzdata: [incident] timezone is looked up in /usr/share/zoneinfo (slim images lack it)
runtime_pkgs=(libwebsockets17 libcjson1 libcurl4 libsqlite3-0 libssl3 ca-certificates tzdata)

case "${1:-}" in
  --runtime) wanted=("${runtime_pkgs[@]}") ;;
  --build) wanted=("${build_pkgs[@]}") ;;
  --bench) wanted=("${bench_pkgs[@]}") ;;
  ""|--all) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [--all|--build|--runtime|--bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; update once, then install.
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
