"""The project installs as a package: migrations, seeds, templates and static files travel inside it.

The package is built and installed (without its dependencies, which the test
environment lends through a .pth file) into a fresh virtual environment, and the
operator's commands run from an unrelated folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Independent of the database under test (it makes its own): scripts/test.sh runs it in the SQLite pass only.
pytestmark = pytest.mark.install


def run(command, cwd, env):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def test_the_installed_package_migrates_seeds_publishes_and_runs_jobs_from_any_folder(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
    ).strip()
    # The dependencies come from the test environment (a path, not its .pth files: the
    # editable install of the working tree stays out of sight).
    Path(site_packages, "test_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-build-isolation",
         str(REPO)], cwd=tmp_path, env=dict(os.environ))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "REDIS_URL", "ISSUES_TRACKER_ENV", "FLASK_DEBUG", "DATABASE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite'}", SECRET_KEY="packaging-test-secret",
               LOG_FORMAT="text")
    location = run([python, "-c", "import issues_tracker; print(issues_tracker.__file__)"], elsewhere, env)
    assert location.strip().startswith(site_packages), location

    flask = [python, "-m", "flask", "--app", "issues_tracker"]
    assert "0006_jobs" in run([*flask, "db", "upgrade"], elsewhere, env)
    assert "Seed data loaded" in run([*flask, "seed"], elsewhere, env)
    # Templates, the print stylesheet and fonts come from the installed copy too.
    assert "Published the industry issues log" in run([venv / "bin" / "issues-tracker", "log", "publish"], elsewhere, env)
    assert "Ran 0 jobs" in run([*flask, "worker", "--burst"], elsewhere, env)
