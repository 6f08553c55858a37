#!/usr/bin/env bash
# The README's run command: installs what is missing, builds incidentd and
# starts it in console mode on its embedded defaults: the terminal is the
# Slack workspace (type /incident declare), the database is var/console.db,
# the built-in status page is on http://127.0.0.1:8080/ and /healthz and
# /metrics on the internal listener, http://127.0.0.1:8081/. Arguments go
# to `incidentd console` (e.g. -c FILE for a configuration, -u bob).
# To connect to Slack instead: ./build/bot/incidentd run -c FILE (README).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh --build >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINCIDENTD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target incidentd >/dev/null
exec ./build/bot/incidentd console "$@"
