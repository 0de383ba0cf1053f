"""Griffe extension for the API reference: the package's reStructuredText-flavoured docstrings as Markdown.

The docstrings are written to read well in ``help()``. For the site:

* a role such as :func:`sharedeq.kkt.build_mcp` becomes a code span of its target (with a leading ``~``, of the
  target's last name only);
* a paragraph ending in ``::`` (reST's "a literal block follows") ends in ``:``; the indented block after it
  is already a Markdown code block;
* a run of two or more parameter entries, ``name: text`` or ``a, b: text`` at the left margin with indented
  continuation lines, becomes a bulleted list with the names as code.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):`(~?)([^`]+)`")
PARAMETER = re.compile(r"^([a-z_]\w*(?:, [a-z_]\w*)*): (.*)$")


def _role(match: re.Match) -> str:
    target = match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


def _entry_end(lines: list[str], start: int) -> int:
    """The line after the parameter entry that starts at ``start`` (its indented continuation lines included)."""
    end = start + 1
    while end < len(lines) and lines[end].startswith(" ") and lines[end].strip():
        end += 1
    return end


def _parameter_lists(lines: list[str]) -> list[str]:
    """Runs of two or more ``name: text`` entries (with indented continuations) as Markdown bullets."""
    out, k = [], 0
    while k < len(lines):
        entries, end = [], k
        while end < len(lines) and PARAMETER.match(lines[end]):
            entries.append((end, _entry_end(lines, end)))
            end = entries[-1][1]
        if len(entries) < 2:
            out.append(lines[k])
            k += 1
            continue
        out.append("")
        for start, stop in entries:
            name, text = PARAMETER.match(lines[start]).groups()
            out.append(f"* {', '.join(f'`{n}`' for n in name.split(', '))}: {text}")
            out.extend("    " + line.strip() for line in lines[start + 1:stop])
        out.append("")
        k = end
    return out


def markdown_docstring(text: str) -> str:
    """The docstring ``text`` with roles, ``::`` and parameter lists rewritten as Markdown."""
    text = ROLE.sub(_role, text)
    text = re.sub(r"(\S)::$", r"\1:", text, flags=re.M)
    return "\n".join(_parameter_lists(text.split("\n")))


class RstToMarkdown(griffe.Extension):
    """Rewrites every docstring of the loaded package with :func:`markdown_docstring`."""

    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
