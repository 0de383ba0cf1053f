"""The documentation works: every ```python block of each page runs (in order, one namespace per page), the
README's commands are the ones CI runs, and the site builds with ``mkdocs build --strict`` (no broken link, no
failing example, every API page rendered)."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]

_spec = importlib.util.spec_from_file_location("docs_examples", ROOT / "docs" / "hooks" / "examples.py")
examples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(examples)


@pytest.mark.parametrize("page", [p for p in PAGES if examples.python_blocks(p.read_text())], ids=lambda p: p.name)
def test_page_examples_run(page):
    examples.run_examples(page.read_text(), str(page))


def test_a_failing_example_names_its_page_and_line():
    page = "intro\n\n```python\nx = 1\n```\n\ntext\n\n```python\nassert x == 2, 'x is not 2'\n```\n"
    with pytest.raises(RuntimeError, match=r"demo.md: the example at line 10 fails: AssertionError: x is not 2"):
        examples.run_examples(page, "demo.md")


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    install = re.search(r"## Install.*?```bash\n(.*?)\n```", readme, flags=re.S).group(1).strip()
    test = re.search(r"## Test.*?```bash\n(.*?)\n```", readme, flags=re.S).group(1).strip()
    assert install.startswith("pip install") and install in ci.splitlines()
    assert test in ci.splitlines()


def test_site_builds_strict(tmp_path):
    """``mkdocs build --strict``: a warning (broken link or anchor, a page missing from the navigation, an API
    object that does not exist) or a failing example aborts it."""
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    assert mkdocs, "mkdocs is not installed: pip install -e '.[docs]'"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "MPLBACKEND": "Agg"}
    run = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-8000:]
    site = tmp_path / "site"
    assert (site / "index.html").is_file() and (site / "gallery" / "convergence.png").is_file()
    solve_page = (site / "api" / "solve" / "index.html").read_text()
    assert "eps_schedule" in solve_page and ":func:" not in solve_page
