#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: on SQLite, then on PostgreSQL
# when TEST_DATABASE_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test),
# then two app servers under gunicorn and a worker on that PostgreSQL and on Redis
# (TEST_REDIS_URL, default redis://127.0.0.1:6379/0).
set -euo pipefail
cd "$(dirname "$0")/.."
# --deep (first): the nightly depth, hundreds of generated inputs per route and text field (TEST_DEPTH=deep).
if [ "${1:-}" = "--deep" ]; then export TEST_DEPTH=deep; shift; fi
scripts/setup.sh dev
[ -x /usr/bin/chromium ] || { echo "Chromium is required for the browser tests (apt-get install chromium)." >&2; exit 1; }
.venv/bin/ruff check .
echo "== Test suite on SQLite"
env -u TEST_DATABASE_URL .venv/bin/python -m pytest -n 2 "$@"
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== Test suite on PostgreSQL (the package install test ran above; it uses no test database)"
  .venv/bin/python -m pytest -n 2 -m "not servers and not install" "$@"
  echo "== Two app servers and a worker on PostgreSQL and Redis"
  .venv/bin/python -m pytest -p no:xdist -m servers tests/test_two_servers.py
else
  echo "== Not run: the two-server test and the PostgreSQL pass need TEST_DATABASE_URL (PostgreSQL) and Redis."
fi
