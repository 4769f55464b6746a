# shellcheck shell=bash
# Source me: makes redis-server available and a Postgres reachable for tests.
#
#   source scripts/ensure-services.sh
#
# 1. Installs redis-server and postgresql with apt-get when their binaries are
#    missing (as root, or with sudo).
# 2. Chooses a Postgres for the tests and exports OUBLI_TEST_PG_URL:
#    - OUBLI_TEST_PG_URL if already set;
#    - else OUBLI_PG_PROBE_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
#      if it accepts a trust connection;
#    - else a throwaway cluster in ${OUBLI_STATE:-<repo>/.oubli-demo}/pg on
#      127.0.0.1:${OUBLI_PG_PORT:-15432} (reused when already running).
#    Set OUBLI_PG_PROBE_URL to a URL that does not answer to force the cluster.
# 3. Redis: tests start their own redis-server; OUBLI_TEST_REDIS_URL is only
#    passed through when the user set it.
# One line per decision goes to stderr. Only loopback addresses are used.
# Sourced again in the same shell (demo-services.sh sources it too), it says
# nothing more unless OUBLI_TEST_PG_URL changed meanwhile.

# A URL with its password replaced, to show.
_oubli_redact_url() {
    printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#; s#(password=)[^& ]*#\1***#g'
}

_oubli_ensure_services() {
    set -euo pipefail
    if [ -n "${_oubli_services_chosen:-}" ] &&
        [ "${OUBLI_TEST_PG_URL:-}" = "$_oubli_services_chosen" ]; then
        return 0
    fi
    local repo state sudo=""
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    state="${OUBLI_STATE:-$repo/.oubli-demo}"
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi

    # -- binaries --------------------------------------------------------
    local pg_bin=""
    pg_bin="$(_oubli_pg_bindir || true)"
    if ! command -v redis-server >/dev/null 2>&1 || [ -z "$pg_bin" ]; then
        echo "ensure-services: installing redis-server and postgresql with apt-get" >&2
        $sudo apt-get update -qq >&2 || return 1
        $sudo env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq redis-server postgresql >&2 || return 1
        pg_bin="$(_oubli_pg_bindir)" || {
            echo "ensure-services: no PostgreSQL server binaries after install" >&2
            return 1
        }
    else
        echo "ensure-services: redis-server and PostgreSQL ($pg_bin) already installed" >&2
    fi

    # -- Postgres for the tests ------------------------------------------
    if [ -n "${OUBLI_TEST_PG_URL:-}" ]; then
        echo "ensure-services: Postgres: $(_oubli_redact_url "$OUBLI_TEST_PG_URL")," \
            "from OUBLI_TEST_PG_URL in the environment (unset it to let this script choose)" >&2
        _oubli_services_chosen="$OUBLI_TEST_PG_URL"
        return 0
    fi
    local probe="${OUBLI_PG_PROBE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
    if _oubli_pg_answers "$probe"; then
        echo "ensure-services: Postgres: $(_oubli_redact_url "$probe"), which answers" \
            "without a password (exported as OUBLI_TEST_PG_URL)" >&2
        export OUBLI_TEST_PG_URL="$probe"
        _oubli_services_chosen="$OUBLI_TEST_PG_URL"
        return 0
    fi
    echo "ensure-services: no trust Postgres at $probe; using a throwaway cluster" >&2

    local port="${OUBLI_PG_PORT:-15432}"
    local data="$state/pg"
    local url="postgresql://postgres@127.0.0.1:$port/postgres"
    if _oubli_pg_answers "$url"; then
        echo "ensure-services: Postgres: reusing the throwaway cluster on 127.0.0.1:$port" \
            "(exported as OUBLI_TEST_PG_URL=$url)" >&2
        export OUBLI_TEST_PG_URL="$url"
        _oubli_services_chosen="$OUBLI_TEST_PG_URL"
        return 0
    fi
    local as=()
    mkdir -p "$state"
    if [ "$(id -u)" -eq 0 ]; then
        # initdb refuses to run as root: the cluster belongs to `postgres`.
        as=(runuser -u postgres --)
        chown postgres "$state"
    fi
    if [ ! -s "$data/PG_VERSION" ]; then
        echo "ensure-services: initdb (trust auth) in $data" >&2
        mkdir -p "$data"
        if [ "$(id -u)" -eq 0 ]; then chown postgres "$data"; fi
        "${as[@]}" "$pg_bin/initdb" -D "$data" -U postgres --auth=trust \
            --encoding=UTF8 --no-locale >"$state/initdb.log" 2>&1 || {
            echo "ensure-services: initdb failed, see $state/initdb.log" >&2
            return 1
        }
    fi
    echo "ensure-services: starting the throwaway cluster on 127.0.0.1:$port" >&2
    "${as[@]}" "$pg_bin/pg_ctl" -D "$data" -l "$state/pg.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off" start >&2 || {
        echo "ensure-services: the cluster did not start, see $state/pg.log" >&2
        return 1
    }
    if ! _oubli_pg_answers "$url"; then
        echo "ensure-services: the throwaway cluster does not answer at $url" >&2
        return 1
    fi
    export OUBLI_TEST_PG_URL="$url"
    _oubli_services_chosen="$OUBLI_TEST_PG_URL"
    echo "ensure-services: Postgres: the throwaway cluster (exported as OUBLI_TEST_PG_URL=$url)" >&2
}

# The bin directory of the newest PostgreSQL server installed.
_oubli_pg_bindir() {
    local d
    while IFS= read -r d; do
        if [ -x "$d/postgres" ] && [ -x "$d/initdb" ]; then
            echo "$d"
            return 0
        fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
    return 1
}

# True when the URL accepts a connection without a password.
_oubli_pg_answers() {
    pg_isready -q -d "$1" -t 3 >/dev/null 2>&1 &&
        PGCONNECT_TIMEOUT=3 psql -X -q -w -d "$1" -c 'select 1' >/dev/null 2>&1
}

# Runs in the caller's shell (so the exports reach it) but restores the
# caller's shell options afterwards. Inside an `if`, bash ignores `set -e`, so
# every step that can fail checks its status itself.
_oubli_saved_opts="$(set +o)"
if _oubli_ensure_services; then
    eval "$_oubli_saved_opts"
    unset _oubli_saved_opts
else
    _oubli_rc=$?
    eval "$_oubli_saved_opts"
    unset _oubli_saved_opts
    echo "ensure-services: failed (exit $_oubli_rc)" >&2
    return "$_oubli_rc"
fi
