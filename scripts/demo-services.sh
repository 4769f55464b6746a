# shellcheck shell=bash
# Source me: throwaway Redis and Postgres targets for `oubli demo seed`.
#
#   source scripts/demo-services.sh
#
# Sources ensure-services.sh, then
# - starts (or reuses) a private redis-server on 127.0.0.1:${OUBLI_DEMO_REDIS_PORT:-16379}
#   with no persistence, pidfile and log under ${OUBLI_STATE:-<repo>/.oubli-demo};
# - creates the database `oubli_demo` on the Postgres ensure-services chose;
# - exports OUBLI_DEMO_REDIS_URL and OUBLI_DEMO_PG_URL.
# The seeder FLUSHes its Redis and drops its tables: this never points at the
# machine's own Redis on 6379.

# shellcheck source=scripts/ensure-services.sh
source "$(dirname "${BASH_SOURCE[0]}")/ensure-services.sh" || return 1 2>/dev/null || exit 1

_oubli_demo_services() {
    set -euo pipefail
    local repo state port
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    state="${OUBLI_STATE:-$repo/.oubli-demo}"
    port="${OUBLI_DEMO_REDIS_PORT:-16379}"
    if [ "$port" = 6379 ]; then
        echo "demo-services: refusing port 6379 (the machine's own Redis)" >&2
        return 1
    fi
    mkdir -p "$state/redis"

    if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" = PONG ]; then
        echo "demo-services: reusing the demo redis-server on 127.0.0.1:$port" >&2
    else
        echo "demo-services: starting a throwaway redis-server on 127.0.0.1:$port" >&2
        redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            --daemonize yes --dir "$state/redis" \
            --pidfile "$state/redis.pid" --logfile "$state/redis.log" || return 1
        local i
        for i in $(seq 50); do
            if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" = PONG ]; then
                break
            fi
            if [ "$i" = 50 ]; then
                echo "demo-services: redis-server did not answer, see $state/redis.log" >&2
                return 1
            fi
            sleep 0.1
        done
    fi
    export OUBLI_DEMO_REDIS_URL="redis://127.0.0.1:$port/0"

    local admin="$OUBLI_TEST_PG_URL"
    local exists
    exists="$(psql -X -q -w -At -d "$admin" \
        -c "select 1 from pg_database where datname = 'oubli_demo'")" || return 1
    local where
    where="the Postgres of OUBLI_TEST_PG_URL ($(_oubli_redact_url "$admin"))"
    if [ "$exists" = 1 ]; then
        echo "demo-services: reusing database oubli_demo on $where" >&2
    else
        echo "demo-services: creating database oubli_demo on $where" >&2
        psql -X -q -w -d "$admin" -c 'create database oubli_demo' >/dev/null || return 1
    fi
    # Same server and credentials, database oubli_demo.
    OUBLI_DEMO_PG_URL="$(printf '%s' "$admin" | sed -E 's#^([a-z]+://[^/]*)(/[^?]*)?#\1/oubli_demo#')"
    export OUBLI_DEMO_PG_URL
    echo "demo-services: OUBLI_DEMO_REDIS_URL=$OUBLI_DEMO_REDIS_URL OUBLI_DEMO_PG_URL=$(_oubli_redact_url "$OUBLI_DEMO_PG_URL")" >&2
}

_oubli_saved_opts="$(set +o)"
if _oubli_demo_services; then
    eval "$_oubli_saved_opts"
    unset _oubli_saved_opts
else
    _oubli_rc=$?
    eval "$_oubli_saved_opts"
    unset _oubli_saved_opts
    echo "demo-services: failed (exit $_oubli_rc)" >&2
    return "$_oubli_rc"
fi
