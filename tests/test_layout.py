"""The house stays tidy: no import cycle between Flick Admin's packages and modules (the
import-linter contract in pyproject.toml), and no module grows past about 500 lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 520


def test_no_import_cycle_between_packages():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint, "import-linter is part of the test extra"
    done = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def test_the_root_holds_only_app_wide_modules():
    loose = sorted(p.name for p in (ROOT / "flick_admin").glob("*.py"))
    assert "overview.py" not in loose and "demo.py" not in loose and "shell.py" not in loose, loose


def test_no_module_is_over_about_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "flick_admin").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long
