"""MkDocs hook: every ```python block of a page runs when the site is built, in order, in one namespace per page.

A block that raises fails the build (``PluginError``), naming the page, the block's line and the error, so the
site never shows an example that does not work. ``tests/test_docs.py`` runs the same function on every page.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import time
import traceback

from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:              # examples import cases/ and benchmarks/, as tests/conftest.py allows
    sys.path.insert(0, _ROOT)

log = get_plugin_logger("examples")

PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", flags=re.S)


def python_blocks(markdown: str) -> list[tuple[int, str]]:
    """The page's ```python blocks as (line number of the block's first code line, code)."""
    return [(markdown.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in PYTHON_BLOCK.finditer(markdown)]


def run_examples(markdown: str, page: str) -> float:
    """Execute the blocks in order in one fresh namespace; return the seconds taken.

    Printed output is swallowed; matplotlib draws off screen. Raises ``RuntimeError`` naming the page and line of
    the first block that fails.
    """
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "docs_" + re.sub(r"\W", "_", page)}
    start = time.perf_counter()
    for line, code in python_blocks(markdown):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile("\n" * (line - 1) + code, page, "exec"), namespace)
        except Exception as err:
            trace = "".join(traceback.format_exception(err)[-3:])
            raise RuntimeError(f"{page}: the example at line {line} fails: {type(err).__name__}: {err}\n{trace}") \
                from err
    return time.perf_counter() - start


def on_page_markdown(markdown, page, config, files):
    count = len(python_blocks(markdown))
    if count:
        try:
            seconds = run_examples(markdown, page.file.src_uri)
        except RuntimeError as err:
            raise PluginError(str(err)) from err
        log.info(f"{page.file.src_uri}: {count} examples ran in {seconds:.1f} s")
    return markdown
