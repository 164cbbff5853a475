#!/usr/bin/env bash
# Sets everything up and serves the site on the embedded SQLite default, with the forum pack's
# seed data, and a worker beside it for the background jobs (publishing the log, imports).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export ISSUES_TRACKER_ENV=development
# The demo accounts (staff and admin among them) sign in with a password alone.
export MFA_REQUIRED_ROLES=
unset DATABASE_URL REDIS_URL
host=${HOST:-127.0.0.1}
port=${PORT:-5000}
.venv/bin/flask --app issues_tracker db upgrade
.venv/bin/flask --app issues_tracker seed
# The worker takes jobs from the queue file in the instance folder; it stops with the site.
.venv/bin/flask --app issues_tracker worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
echo
echo "  Industry Issues Tracker is running at http://$host:$port/"
echo "  Sign in as staff@example.org, participant@supplier.example or admin@example.org"
echo "  with the password: demo-password   (demo accounts exist only on this local default)"
echo "  A worker (pid $worker) runs the background jobs beside it."
echo
.venv/bin/flask --app issues_tracker run --host "$host" --port "$port"
