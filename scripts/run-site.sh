#!/usr/bin/env bash
# Sets everything up and serves the site on the embedded SQLite default, with the forum pack's seed data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export ISSUES_TRACKER_ENV=development
unset DATABASE_URL
host=${HOST:-127.0.0.1}
port=${PORT:-5000}
.venv/bin/flask --app issues_tracker db upgrade
.venv/bin/flask --app issues_tracker seed
echo
echo "  Industry Issues Tracker is running at http://$host:$port/"
echo "  Sign in as staff@example.org, participant@supplier.example or admin@example.org"
echo "  with the password: demo-password   (demo accounts exist only on this local default)"
echo
exec .venv/bin/flask --app issues_tracker run --host "$host" --port "$port"
