#!/usr/bin/env bash
# Sets everything up and runs the whole test suite on SQLite. When TEST_DATABASE_URL is set
# (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test), what depends on the database (tests
# marked both_databases) runs again on that PostgreSQL, the browser journeys run there instead of
# on SQLite, and then two app servers under gunicorn and a worker run on that PostgreSQL and on
# Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379/0). Each pass prints its 20 slowest tests.
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
  echo "== Test suite on SQLite (the browser journeys run on PostgreSQL below)"
  env -u TEST_DATABASE_URL .venv/bin/python -m pytest -n 2 --durations=20 -m "not servers and not browser" "$@"
  echo "== On PostgreSQL: what depends on the database, and the browser journeys"
  .venv/bin/python -m pytest -n 2 --durations=20 -m "(both_databases or browser) and not servers and not install" "$@"
  echo "== Two app servers and a worker on PostgreSQL and Redis"
  .venv/bin/python -m pytest -p no:xdist -m servers tests/test_two_servers.py
else
  echo "== Test suite on SQLite"
  env -u TEST_DATABASE_URL .venv/bin/python -m pytest -n 2 --durations=20 "$@"
  echo "== Not run: the PostgreSQL pass and the two-server test need TEST_DATABASE_URL (PostgreSQL) and Redis."
fi
