#!/usr/bin/env bash
# Regenerate screenshots/*.svg from the real render function on the demo data.
# Run `OUBLI_DEMO_NO_TUI=1 scripts/demo.sh` first so the demo servers are seeded.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/ensure-services.sh
source scripts/ensure-services.sh
# shellcheck source=scripts/demo-services.sh
source scripts/demo-services.sh

cargo build --release --locked
oubli=(./target/release/oubli --config config/demo.toml --redis "$OUBLI_DEMO_REDIS_URL" --pg "$OUBLI_DEMO_PG_URL")
mkdir -p screenshots
"${oubli[@]}" screenshot --size 120x40 --focus map -o screenshots/main-120x40.svg
"${oubli[@]}" screenshot --size 80x24 --focus redis -o screenshots/redis-80x24.svg
"${oubli[@]}" screenshot --size 80x24 --focus map -o screenshots/main-80x24.svg
"${oubli[@]}" screenshot --size 120x40 --focus postgres --with-help -o screenshots/help-120x40.svg
"${oubli[@]}" screenshot --size 160x48 --focus map --zoom --select redis -o screenshots/map-160x48.svg
"${oubli[@]}" screenshot --size 140x40 --focus redis -o screenshots/census-140x40.svg
"${oubli[@]}" screenshot --size 140x40 --focus postgres -o screenshots/postgres-140x40.svg
"${oubli[@]}" screenshot --size 80x24 --focus findings -o screenshots/findings-80x24.svg
"${oubli[@]}" screenshot --size 200x50 --focus findings -o screenshots/findings-200x50.svg
