#!/usr/bin/env bash
# README command 1: from a fresh Debian machine with only Rust to the console
# on demo data.
#
# Installs what is missing (redis-server, postgresql), starts throwaway demo
# servers or reuses running ones (a redis-server on 127.0.0.1:16379, a
# database `oubli_demo`; never the machine's own Redis on 6379), seeds them
# with synthetic data, and opens the console on config/demo.toml.
#
#   OUBLI_DEMO_USERS=10000 OUBLI_DEMO_KEYS=50000  sizes of the demo
#   OUBLI_DEMO_NO_TUI=1                           seed only (implied without a terminal)
# Extra arguments go to the console (e.g. --theme ansi16).
set -euo pipefail
cd "$(dirname "$0")/.."

# demo-services.sh sources ensure-services.sh itself: sourcing both here
# printed every services line twice.
# shellcheck source=scripts/demo-services.sh
source scripts/demo-services.sh

cargo build --release --locked
oubli=./target/release/oubli
"$oubli" demo seed --redis "$OUBLI_DEMO_REDIS_URL" --pg "$OUBLI_DEMO_PG_URL" \
    --users "${OUBLI_DEMO_USERS:-10000}" --keys "${OUBLI_DEMO_KEYS:-50000}"

if [ -n "${OUBLI_DEMO_NO_TUI:-}" ] || [ ! -t 0 ] || [ ! -t 1 ]; then
    "$oubli" status --config config/demo.toml --redis "$OUBLI_DEMO_REDIS_URL" --pg "$OUBLI_DEMO_PG_URL"
    echo "demo.sh: seeded; open the console with:"
    echo "  $oubli --config config/demo.toml --redis $OUBLI_DEMO_REDIS_URL --pg $OUBLI_DEMO_PG_URL"
    exit 0
fi
exec "$oubli" --config config/demo.toml --redis "$OUBLI_DEMO_REDIS_URL" --pg "$OUBLI_DEMO_PG_URL" "$@"
