#!/usr/bin/env bash
# The README's run command: installs what is missing, builds incidentd and
# starts it on its embedded defaults (database under ./var, built-in status
# page on 127.0.0.1:8080), or with the configuration file given as $1.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh --build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINCIDENTD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target incidentd
mkdir -p var
if [ $# -gt 0 ]; then
  exec ./build/bot/incidentd run -c "$1"
fi
exec ./build/bot/incidentd run
