"""MkDocs hook: the navigation lists pages that are still being written; publish only those that are ready.

A page is ready when its file exists and every module it documents (``::: sharedeq.x`` lines) exists in the
package. Pages that are not ready are left out of the navigation and the build (logged, never an error), so that
``mkdocs build --strict`` passes while the navigation already names every page the site will have. A broken link
to a page that is not ready still fails the strict build.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger("pending_pages")

DOCUMENTED_MODULE = re.compile(r"^:::\s*([\w.]+)", flags=re.M)

_not_ready: set[str] = set()


def _module_exists(root: Path, dotted: str) -> bool:
    """True when the module that ``dotted`` lives in (its first two parts: ``sharedeq.sweep`` for
    ``sharedeq.sweep.sweep``) is a file of the source tree. A wrong name inside an existing module is left for
    mkdocstrings to report."""
    base = root.joinpath(*dotted.split(".")[:2])
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _ready(docs_dir: Path, page: str) -> bool:
    path = docs_dir / page
    if not path.is_file():
        return False
    root = docs_dir.parent
    return all(_module_exists(root, name) for name in DOCUMENTED_MODULE.findall(path.read_text()))


def _prune(items, docs_dir: Path) -> list:
    """The navigation without the pages that are not ready (and without sections left empty)."""
    kept = []
    for item in items:
        title, target = next(iter(item.items())) if isinstance(item, dict) else (None, item)
        if isinstance(target, list):
            target = _prune(target, docs_dir)
            if not target:
                continue
        elif isinstance(target, str) and target.endswith(".md") and "://" not in target \
                and not _ready(docs_dir, target):
            _not_ready.add(target)
            continue
        kept.append({title: target} if title is not None else target)
    return kept


def on_config(config):
    _not_ready.clear()
    if config.nav:
        config.nav = _prune(config.nav, Path(config.docs_dir))
    if _not_ready:
        log.info(f"not ready yet, left out of the site: {', '.join(sorted(_not_ready))}")
    return config


def on_files(files, config):
    for page in _not_ready:
        file = files.get_file_from_path(page)
        if file is not None:
            files.remove(file)
    return files
