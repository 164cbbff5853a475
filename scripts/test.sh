#!/usr/bin/env bash
# Sets everything up and runs the whole test suite on SQLite. When TEST_DATABASE_URL is set
# (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test), what depends on the database (tests
# marked both_databases) runs again on that PostgreSQL, the browser journeys run there instead of
# on SQLite, and two app servers under gunicorn and a worker run on that PostgreSQL and on Redis
# (TEST_REDIS_URL, default redis://127.0.0.1:6379/0); these passes run beside the SQLite pass.
# Each pass prints its 20 slowest tests; the command fails if any pass fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# Keep compiled modules (and pytest's rewritten test modules) in __pycache__: every test process,
# and every server, worker and command the tests start, would otherwise compile them afresh.
unset PYTHONDONTWRITEBYTECODE
# --deep (first): the nightly depth, hundreds of generated inputs per route and text field (TEST_DEPTH=deep).
if [ "${1:-}" = "--deep" ]; then export TEST_DEPTH=deep; shift; fi
scripts/setup.sh dev
[ -x /usr/bin/chromium ] || { echo "Chromium is required for the browser tests (apt-get install chromium)." >&2; exit 1; }
.venv/bin/ruff check .
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  # The three passes run side by side: on two cores each fills the time the others spend waiting
  # (on PostgreSQL, Chromium, servers and their polling). The SQLite pass prints as it goes; the
  # other two are kept and printed whole when it ends, each after its own heading.
  results=$(mktemp -d)
  pids=()
  trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$results"' EXIT
  .venv/bin/python -m pytest -n 2 --durations=20 -m "(both_databases or browser) and not servers and not install" "$@" \
    >"$results/postgresql" 2>&1 &
  pids+=($!)
  .venv/bin/python -m pytest -p no:xdist -m servers tests/test_two_servers.py >"$results/servers" 2>&1 &
  pids+=($!)
  failed=()
  echo "== Test suite on SQLite (the PostgreSQL pass and the two-server test run beside it and print below)"
  env -u TEST_DATABASE_URL .venv/bin/python -m pytest -n 2 --durations=20 -m "not servers and not browser" "$@" \
    || failed+=("SQLite")
  echo "== On PostgreSQL: what depends on the database, and the browser journeys"
  wait "${pids[0]}" || failed+=("PostgreSQL")
  cat "$results/postgresql"
  echo "== Two app servers and a worker on PostgreSQL and Redis"
  wait "${pids[1]}" || failed+=("two servers")
  cat "$results/servers"
  if [ ${#failed[@]} -gt 0 ]; then
    echo "== Failed: ${failed[*]}" >&2
    exit 1
  fi
else
  echo "== Test suite on SQLite"
  env -u TEST_DATABASE_URL .venv/bin/python -m pytest -n 2 --durations=20 "$@"
  echo "== Not run: the PostgreSQL pass and the two-server test need TEST_DATABASE_URL (PostgreSQL) and Redis."
fi
