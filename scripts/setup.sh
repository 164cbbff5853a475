#!/usr/bin/env bash
# Installs what the app needs: Debian packages (when root and missing) and a virtual environment.
# Usage: scripts/setup.sh [dev]   — "dev" adds the test tools and Chromium for browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

want_dev="${1:-}"
packages=(libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-dejavu-extra)
if [ "$want_dev" = "dev" ]; then
  packages+=(chromium poppler-utils postgresql-client redis-server openssl)
fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages (install them with sudo apt-get install): ${missing[*]}" >&2
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# One lock (requirements.lock) pins every package CI tests; the project installs from its
# pyproject.toml against it, editable, so `flask --app issues_tracker` works from any folder.
extras=postgres
[ "$want_dev" = "dev" ] && extras=postgres,test
stamp=".venv/.installed-$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)-${extras/,/-}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip 2>/dev/null
  if ! { .venv/bin/python -m pip install -q -c requirements.lock flit_core wheel \
         && .venv/bin/python -m pip install -q -c requirements.lock --no-build-isolation -e ".[$extras]"; } >.venv/pip.log 2>&1; then
    grep -v "is ignored: it is neither a file nor a directory" .venv/pip.log >&2
    echo "Installing the Python packages failed." >&2
    exit 1
  fi
  .venv/bin/python -c "import flask, weasyprint, huey, issues_tracker" >/dev/null
  rm -f .venv/.installed-*
  touch "$stamp"
fi
