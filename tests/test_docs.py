"""The documentation's examples run: every ```python block of each page, in order, in one namespace."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


def _blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p)], ids=lambda p: p.name)
def test_page_examples_run(page, capsys):
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for code in _blocks(page):
        exec(compile(code, str(page), "exec"), namespace)


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    install = re.search(r"## Install.*?```bash\n(.*?)\n```", readme, flags=re.S).group(1).strip()
    test = re.search(r"## Test.*?```bash\n(.*?)\n```", readme, flags=re.S).group(1).strip()
    assert install.startswith("pip install") and install in ci.splitlines()
    assert test in ci.splitlines()
