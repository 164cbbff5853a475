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

if [ "$want_dev" = "dev" ]; then
  # The single sign-on tests start a real OpenID Connect provider: the certified `oidc-provider`
  # package under Node.js (20 or later), installed from its lock file into an ignored node_modules.
  provider=tests/accounts/oidc_provider
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [ "$(id -u)" = "0" ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    else
      echo "Node.js 20 or later and npm are needed for the single sign-on tests (apt-get install nodejs npm)." >&2
    fi
  fi
  if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    echo "Node.js $(node --version) is too old for the single sign-on tests' provider: 20 or later is needed." >&2
  fi
  node_stamp="$provider/node_modules/.installed-$(sha256sum "$provider/package-lock.json" | cut -c1-16)"
  if command -v npm >/dev/null && [ ! -f "$node_stamp" ]; then
    npm ci --prefix "$provider" --no-audit --no-fund --loglevel=error >/dev/null
    touch "$node_stamp"
  fi
fi
