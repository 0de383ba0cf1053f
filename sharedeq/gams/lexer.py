"""GAMS source text -> tokens: the dollar control options, comments, ``%name%`` substitution, then a scanner.

:func:`preprocess` handles what GAMS's compiler handles before parsing, line by line, and records where each
line came from (a removed line becomes blank): ``*`` comments in column 1, ``$ontext``/``$offtext``,
end-of-line and in-line comments once switched on (``$eolcom #``, ``$oneolcom``: ``!!``, ``$inlinecom /* */``),
``$title``, ``$set``/``$setglobal``/``$setlocal``/``$eval`` with ``%name%`` substitution, ``$if``/``$ifi``
(``[not] set NAME``, ``A == B``) and ``$ifThen``/``$elseIf``/``$else``/``$endIf`` blocks, ``$macro``,
``$include`` (a file beside the model), ``$exit``, and ``$onecho > FILE`` ... ``$offecho`` /
``$echo TEXT > FILE`` (the text is kept by file name: empinfo and option files). Listing options
(``$offlisting``, ``$onempty``, ...) change nothing here and are skipped; any other control option is refused
with its line.

:class:`Scanner` reads the cleaned text on demand in two modes, because GAMS has two lexical grammars: code
(identifiers, numbers, operators, quoted text) and data lists, whose labels may contain ``-`` and ``+``
(``new-york``) and start with a digit (``1990``).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from sharedeq.errors import ModelError


class GamsError(ModelError):
    """A GAMS model that cannot be read: the message names the file, line and column, and shows the line."""

    def __init__(self, message, line=None, col=None, source=None, path=None):
        self.line, self.col = line, col
        where = f"{PurePath(path).name}: " if path else ""
        if line is not None:
            message = f"{where}line {line}" + (f", col {col}" if col else "") + f": {message}"
            if source is not None and source.strip():
                message += f"\n    {source.rstrip()}"
                if col:
                    message += f"\n    {' ' * (col - 1)}^"
        elif where:
            message = where + message
        super().__init__(message)


@dataclass
class Source:
    """A preprocessed GAMS file: ``lines`` cleaned of comments and control options, the files written by
    ``$onecho``/``$echo`` (name as written -> text), the title, notes. ``origins`` gives each line's file and line
    number there (``$include`` puts other files' lines in), ``texts`` each file's lines as written."""

    path: str | None
    original: list[str]
    lines: list[str]
    echoes: dict[str, str]
    title: str | None
    notes: list[str]
    origins: list[tuple[str | None, int]] | None = None
    texts: dict | None = None

    def error(self, message, line=None, col=None) -> GamsError:
        path, number, text = self.path, line, self.original
        if line is not None and self.origins and 0 < line <= len(self.origins):
            path, number = self.origins[line - 1]
            text = self.texts[path]
        source = text[number - 1] if number is not None and 0 < number <= len(text) else None
        return GamsError(message, number, col, source, path)


# The control options read: those acted on (below, in _Preprocessor.control) and those that only affect GAMS's
# listing, checks or messages, which are skipped.
_KNOWN = {
    "offlisting", "onlisting", "offsymxref", "onsymxref", "offsymlist", "onsymlist", "offuellist", "onuellist",
    "offuelxref", "onuelxref", "onempty", "offempty", "ondollar", "offdollar", "offdigit", "ondigit", "onmulti",
    "offmulti", "log", "stars", "stitle", "lines", "onuni", "offuni", "offupper", "onupper", "hidden", "eject",
    "double", "single", "offwarning", "onwarning", "offlog", "onlog", "offinclude", "oninclude", "ontrace",
    "offtrace", "inlinecom", "eolcom", "oneolcom", "offeolcom", "oninline", "offinline", "onglobal", "offglobal",
    "maxcol", "mincol", "onnestcom", "offnestcom", "version", "onsuffixalgebra", "onend", "offend",
    "phantom", "comment", "ontext", "offtext", "title", "set", "setglobal", "setlocal", "setenv", "onecho",
    "offecho", "echo", "echon", "if", "ifi", "ifthen", "label", "show", "ondotl", "offdotl", "onverbatim",
    "offverbatim", "onimplicitassign", "offimplicitassign", "onsymbols", "exit", "abort", "call", "eval", "macro",
    "onecholog", "include", "batinclude", "onmultir", "offmultir", "onechov", "onechos", "offorder", "onorder",
    "onfold", "offfold",
}
_REFUSED = {
    "libinclude": "$libinclude is not supported",
    "gdxin": "$gdxin (data from GDX files) is not supported: write the data in the model",
    "load": "$load (data from GDX files) is not supported: write the data in the model",
    "goto": "$goto is not supported",
    "onembeddedcode": "embedded code is not supported",
}
_SYSTEM = {"emp.info": "%emp.info%", "gams.emp": "%gams.emp%"}
_BLOCK_WORDS = ("ifthen", "iftheni", "ifthene", "elseif", "elseifi", "elseife", "else", "endif")
_VARIABLE = re.compile(r"%([A-Za-z_][\w.]*)%")


def preprocess(text: str, path: str | None = None, defines: dict | None = None) -> Source:
    """Apply GAMS's compile-time processing to ``text`` (see the module docstring); returns a :class:`Source`."""
    original = text.splitlines()
    state = _Preprocessor(original, path, defines)
    return state.run()


class _Preprocessor:
    def __init__(self, original, path, defines):
        self.original, self.path = original, path
        self.origins: list[tuple[str | None, int]] = []
        self.texts = {path: original}
        self.depth = 0
        self.values = {k.lower(): str(v) for k, v in (defines or {}).items()}
        self.lines, self.echoes, self.notes = [], {}, []
        self.title = None
        self.eolcom, self.eol_on = "!!", False
        self.inline, self.inline_on = ("/*", "*/"), False
        self.macros: dict[str, tuple[list[str], str]] = {}
        self.blocks: list[dict] = []        # open $ifThen blocks
        self.arguments: list[str] = []      # of the $batInclude file being read
        self.skip_continuation = 0          # lines of a multi-line $macro still to blank

    def error(self, message, line, col=None):
        return Source(self.path, self.original, [], {}, None, []).error(message, line, col)

    def run(self) -> Source:
        self.process(self.original, self.path)
        if self.blocks:
            raise self.error("$ifThen without $endIf", self.blocks[-1]["line"], 1)
        return Source(self.path, self.original, self.lines, self.echoes, self.title, self.notes, self.origins,
                      self.texts)

    def emit(self, line, number):
        self.lines.append(line)
        self.origins.append((self.path, number))

    def process(self, original, path):
        """Preprocess the lines of one file (the model, or one it includes) into ``self.lines``."""
        outer = (self.original, self.path)
        self.original, self.path = original, path
        try:
            self._process()
        finally:
            self.original, self.path = outer

    def include(self, rest, number, batch=False):
        """``$include FILE``: the file's lines in place of this one (relative to the including file's folder);
        ``$batInclude FILE a b``: the same with ``%1``, ``%2`` in the file replaced by ``a``, ``b``."""
        words = [w[1:-1] if w[:1] in "'\"" else w for w in re.findall(r"'[^']*'|\"[^\"]*\"|\S+", rest)]
        if not words:
            raise self.error("$include needs a file name", number, 1)
        name = words[0] if batch else rest.strip().strip("'\"")
        if not name:
            raise self.error("$include needs a file name", number, 1)
        folder = Path(self.path).parent if self.path else Path.cwd()
        candidates = [folder / name, folder / f"{name}.gms"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise self.error(f"$include: no file {name} (looked in {folder})", number, 1)
        if self.depth > 20:
            raise self.error("$include files include each other without end", number, 1)
        text = found.read_text(encoding="utf-8-sig", errors="replace").splitlines()
        self.texts[str(found)] = text
        self.depth += 1
        outer = self.arguments
        self.arguments = words[1:] if batch else outer
        try:
            self.process(text, str(found))
        finally:
            self.depth -= 1
            self.arguments = outer

    def _process(self):
        in_text = None              # line where an open $ontext started
        echo = None                 # (file, lines, start line) of an open $onecho
        in_comment = False          # inside a multi-line in-line comment
        for number, raw in enumerate(self.original, 1):
            slot = len(self.lines)                  # this line's slot, filled below if it holds code
            self.emit("", number)
            head = raw[:1]
            word = _control_word(raw) if head == "$" else None
            if in_text is not None:
                if word == "offtext":
                    in_text = None
                continue
            if echo is not None:
                if word == "offecho":
                    target, lines, _, append, _ = echo
                    self.echoes[target] = (self.echoes.get(target, "") if append else "") + "\n".join(lines) + "\n"
                    echo = None
                else:
                    echo[1].append(self.substitute(raw, number) if echo[2] else raw)
                continue
            if head == "*":
                continue
            if head == "$" and word in _BLOCK_WORDS:
                self.block(word, raw, number)
                continue
            if not self.active():
                continue
            if head == "$":
                if word == "macro":
                    self.macro(raw, number, self.original)
                    continue
                result = self.control(raw, number)
                if result == "ontext":
                    in_text = number
                elif result == "exit":
                    break
                elif isinstance(result, tuple) and result[0] in ("include", "batinclude"):
                    self.include(result[1], number, batch=result[0] == "batinclude")
                elif isinstance(result, tuple) and result[0] == "code":
                    self.lines[slot] = self.code(result[1], number)
                elif isinstance(result, tuple):
                    echo = result
                continue
            if self.skip_continuation:
                self.skip_continuation -= 1
                continue
            line, in_comment = self.strip_comments(self.code(raw, number), in_comment)
            self.lines[slot] = line
        if in_text is not None:
            raise self.error("$ontext without $offtext", in_text)
        if echo is not None:
            raise self.error("$onecho without $offecho", echo[4])

    def control(self, raw, number):
        """One ``$`` line; returns "ontext", an open echo (file, lines, substitute, append, line), or None."""
        word = _control_word(raw)
        rest = raw[1 + len(word):].strip() if word else ""
        rest_case = rest
        if not word:
            raise self.error("'$' in column 1 starts a control option; this one has no name", number, 1)
        if word in _REFUSED:
            raise self.error(_REFUSED[word], number, 1)
        if word not in _KNOWN and word.startswith(("on", "off")):   # a switch of GAMS's compiler or listing
            self.notes.append(f"line {number}: ${word} ignored")
            return None
        if word not in _KNOWN:
            raise self.error(f"the control option ${word} is not supported", number, 1)
        if word == "ontext":
            return "ontext"
        if word == "offtext":
            raise self.error("$offtext without $ontext", number, 1)
        if word == "offecho":
            raise self.error("$offecho without $onecho", number, 1)
        if word == "title":
            self.title = rest_case
        elif word in ("set", "setglobal", "setlocal"):
            self.define(self.substitute(rest, number), number)
        elif word in ("if", "ifi"):
            return self.conditional(rest, number, fold=word == "ifi")
        elif word == "exit":
            return "exit"
        elif word in ("include", "batinclude"):
            return (word, self.substitute(rest, number))
        elif word == "abort":
            raise self.error(f"the model stops here ($abort{': ' + rest if rest else ''})", number, 1)
        elif word == "call":
            self.notes.append(f"line {number}: $call {rest} not run (programs are not run)")
        elif word == "eval":
            self.evaluate(self.substitute(rest, number), number)
        elif word == "eolcom":
            self.eolcom, self.eol_on = rest.split()[0] if rest else "!!", True
        elif word == "oneolcom":
            self.eol_on = True
        elif word == "offeolcom":
            self.eol_on = False
        elif word == "inlinecom":
            parts = rest.split()
            if len(parts) != 2:
                raise self.error("$inlinecom takes two delimiters, e.g. '$inlinecom /* */'", number, 1)
            self.inline, self.inline_on = (parts[0], parts[1]), True
        elif word == "oninline":
            self.inline_on = True
        elif word == "offinline":
            self.inline_on = False
        elif word in ("onecho", "onechov", "onechos", "echo", "echon"):
            return self.echo(word, rest, number)
        elif word in ("onverbatim", "offverbatim", "show", "label", "ondotl", "offdotl", "comment", "phantom",
                      "onend", "offend", "onsymbols", "onimplicitassign", "offimplicitassign", "onsuffixalgebra"):
            self.notes.append(f"line {number}: ${word} ignored")
        return None

    def code(self, raw, number) -> str:
        """A line of code with ``%name%`` substituted and macros expanded."""
        line = self.substitute(raw, number)
        return self.expand(line, number) if self.macros else line

    def macro(self, raw, number, original):
        """``$macro name(a, b) body``, continued on the next lines by a trailing backslash."""
        text = raw
        k = number
        while text.rstrip().endswith("\\") and k < len(original):
            text = text.rstrip()[:-1] + " " + original[k]
            k += 1
            self.skip_continuation += 1
        m = re.match(r"\$\s*macro\s+([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*(.*)$", text.rstrip().rstrip("\\"),
                     re.IGNORECASE | re.DOTALL)
        if not m:
            raise self.error("$macro needs a name, optional (arguments) and a body", number, 1)
        params = [p.strip() for p in m.group(2).split(",")] if m.group(2) else []
        self.macros[m.group(1).lower()] = (params, m.group(3).strip())

    def expand(self, line, number, depth=0) -> str:
        """Replace each macro call ``name(args)`` (or ``name``) by its body with the arguments put in."""
        if depth > 20:
            raise self.error("macros expand into each other without end", number)
        out, pos, changed = [], 0, False
        quoted = [q.span() for q in re.finditer(r"'[^']*'|\"[^\"]*\"", line)]
        for m in re.finditer(r"[A-Za-z_]\w*", line):
            if m.start() < pos or m.group(0).lower() not in self.macros:
                continue
            if any(a <= m.start() < b for a, b in quoted):        # not inside quoted text
                continue
            params, body = self.macros[m.group(0).lower()]
            end, args = m.end(), []
            if params:
                if end >= len(line) or line[end] != "(":
                    continue
                args, end = _call_arguments(line, end)
                if len(args) != len(params):
                    raise self.error(f"macro {m.group(0)} takes {len(params)} arguments, got {len(args)}", number,
                                     m.start() + 1)
            text = body
            for param, arg in zip(params, args, strict=True):
                text = re.sub(rf"(?<![\w.])(?:&)?{re.escape(param)}(?:&)?(?!\w)", lambda _, a=arg: a, text)
            out.append(line[pos:m.start()] + text)
            pos, changed = end, True
        if not changed:
            return line
        out.append(line[pos:])
        return self.expand("".join(out), number, depth + 1)

    def evaluate(self, rest, number):
        """``$eval NAME expression`` for arithmetic on numbers."""
        import ast
        import operator

        parts = rest.split(None, 1)
        if len(parts) != 2:
            raise self.error("$eval needs a name and an expression", number, 1)
        ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
               ast.USub: operator.neg, ast.Pow: operator.pow}

        def value(node):
            if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
                return node.value
            if isinstance(node, ast.BinOp) and type(node.op) in ops:
                return ops[type(node.op)](value(node.left), value(node.right))
            if isinstance(node, ast.UnaryOp) and type(node.op) in ops:
                return ops[type(node.op)](value(node.operand))
            raise ValueError

        try:
            result = value(ast.parse(parts[1].replace("**", "^").replace("^", "**"), mode="eval").body)
        except (ValueError, SyntaxError, ZeroDivisionError):
            raise self.error(f"$eval: only arithmetic on numbers is supported, not '{parts[1]}'", number, 1) from None
        self.values[parts[0].lower()] = f"{result:g}" if isinstance(result, float) else str(result)

    def define(self, rest, number):
        parts = rest.split(None, 1)
        if not parts:
            raise self.error("$set needs a name and a value", number, 1)
        value = parts[1].strip() if len(parts) > 1 else ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        self.values[parts[0].lower()] = value

    def conditional(self, rest, number, fold=False):
        """``$if [not] TEST ACTION``: TEST is ``set NAME`` (also setglobal, setlocal, setenv), ``exist FILE`` /
        ``dexist DIR`` (taken as false: no files are read), or ``A == B`` (``$ifi``: ignoring case); ACTION is a
        control option (``$set``, ``$exit``, ...) or a line of code."""
        holds, action = self.test(rest, number, fold)
        if not holds or not action:
            return None
        if not action.startswith("$"):
            return ("code", action)
        return self.control(action, number)

    def test(self, rest, number, fold=False) -> tuple[bool, str]:
        """The test of ``$if``/``$ifThen``: whether it holds, and the text after it (the action)."""
        rest = self.substitute(rest, number)
        m = re.match(r"(not\s+)?(.*)$", rest.strip(), re.IGNORECASE | re.DOTALL)
        negate, body = bool(m.group(1)), m.group(2)
        test = re.match(r"(set|setglobal|setlocal|setenv|exist|dexist)\s+(\S+)\s*(.*)$", body, re.IGNORECASE)
        if test:
            kind, name, action = test.groups()
            if kind.lower() in ("exist", "dexist"):
                holds = False
                self.notes.append(f"line {number}: '$if {kind} {name}' taken as false (no files are read)")
            else:
                holds = name.lower() in self.values
        else:
            compare = re.match(r"(\"[^\"]*\"|'[^']*'|\S*?)\s*==\s*(\"[^\"]*\"|'[^']*'|\S+)\s*(.*)$", body)
            if not compare:
                raise self.error(f"$if: only 'set NAME', 'exist FILE' and 'A == B' tests are supported, not "
                                 f"'{rest}'", number, 1)
            left, right, action = compare.groups()
            left, right = left.strip("'\""), right.strip("'\"")
            holds = left.lower() == right.lower() if fold else left == right
        return holds != negate, action.strip()

    def block(self, word, raw, number):
        """``$ifThen[I] TEST`` ... ``$elseIf[I] TEST`` ... ``$else`` ... ``$endIf`` (a ``.label`` after the word
        is allowed): the lines of the first branch whose test holds are read, the others skipped."""
        rest = re.sub(r"^\$\s*[A-Za-z]+(\.\w+)?", "", raw).strip()
        fold = word.endswith("i") and word not in ("endif",)
        if word in ("ifthene", "elseife"):
            raise self.error(f"${word} (a numeric test) is not supported", number, 1)
        if word in ("ifthen", "iftheni"):
            outer = self.active()
            holds = outer and self.test(rest, number, fold)[0]
            self.blocks.append({"outer": outer, "taken": holds, "active": holds, "line": number})
            return
        if not self.blocks:
            raise self.error(f"${word} without $ifThen", number, 1)
        top = self.blocks[-1]
        if word in ("elseif", "elseifi"):
            holds = top["outer"] and not top["taken"] and self.test(rest, number, fold)[0]
            top["active"], top["taken"] = holds, top["taken"] or holds
        elif word == "else":
            top["active"], top["taken"] = top["outer"] and not top["taken"], True
        else:
            self.blocks.pop()

    def active(self) -> bool:
        return all(b["active"] for b in self.blocks)

    def echo(self, word, rest, number):
        append = ">>" in rest
        text, sep, target = rest.partition(">>" if append else ">")
        if not sep:
            raise self.error(f"${word} needs '> FILE'", number, 1)
        target = self.substitute(target.strip(), number).strip("'\"")
        if word in ("onecho", "onechos", "onechov"):
            return (target, [], word != "onechov", append, number)
        if word == "echon":
            raise self.error("$echon is not supported", number, 1)
        text = self.substitute(text.strip(), number).strip("'\"")
        self.echoes[target] = (self.echoes.get(target, "") if append else "") + text + "\n"
        return None

    def substitute(self, line, number):
        """Replace ``%name%`` by the value of ``$set name`` (in a ``$batInclude`` file ``%1``, ``%2`` by its
        arguments); ``%emp.info%`` and ``%gams.emp%`` stay as they are."""
        if "%" not in line:
            return line
        if self.arguments:
            line = re.sub(r"%(\d+)", lambda m: self.arguments[int(m.group(1)) - 1]
                          if 0 < int(m.group(1)) <= len(self.arguments) else "", line)

        def value(m):
            key = m.group(1).lower()
            if key in self.values:
                return self.values[key]
            if key in _SYSTEM or key.startswith(("system.", "modelstat.", "solvestat.", "gams.")):
                return m.group(0)
            raise self.error(f"%{m.group(1)}% is not defined (no $set {m.group(1)} before it)", number,
                             m.start() + 1)

        return _VARIABLE.sub(value, line)

    def strip_comments(self, line, in_comment):
        """Blank out in-line comments (keeping columns) and cut an end-of-line comment, outside quotes."""
        if not (self.eol_on or self.inline_on or in_comment):
            return line, False
        out, k, quote = [], 0, None
        while k < len(line):
            if in_comment:
                end = line.find(self.inline[1], k)
                if end < 0:
                    out.append(" " * (len(line) - k))
                    return "".join(out), True
                out.append(" " * (end + len(self.inline[1]) - k))
                k, in_comment = end + len(self.inline[1]), False
                continue
            ch = line[k]
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif self.eol_on and line.startswith(self.eolcom, k):
                break
            elif self.inline_on and line.startswith(self.inline[0], k):
                in_comment = True
                out.append(" " * len(self.inline[0]))
                k += len(self.inline[0])
                continue
            out.append(ch)
            k += 1
        return "".join(out), in_comment


def _call_arguments(line, start) -> tuple[list[str], int]:
    """The comma-separated arguments of the call whose '(' is at ``start``, and the position after its ')'."""
    depth, args, begin, k = 0, [], start + 1, start
    while k < len(line):
        ch = line[k]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                args.append(line[begin:k].strip())
                return args, k + 1
        elif ch == "," and depth == 1:
            args.append(line[begin:k].strip())
            begin = k + 1
        k += 1
    return args, len(line)


def _control_word(raw) -> str:
    m = re.match(r"\$\s*([A-Za-z]+)", raw)
    return m.group(1).lower() if m else ""


# --------------------------------------------------------------------------------------------- scanning
@dataclass(frozen=True, slots=True)
class Token:
    """``kind``: "id", "num", "str", "op", "label" (data mode) or "eof"; ``value``: the text (lower-cased
    for "op"), the number for "num", the unquoted text for "str"."""

    kind: str
    value: object
    text: str
    line: int
    col: int
    pos: int
    end: int


_SPACE = re.compile(r"\s+")
_CODE = re.compile(
    r"(?P<num>(?:\d+\.(?!\.)\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<str>'[^'\n]*'|\"[^\"\n]*\")"
    r"|(?P<op>\.\.|=[eEgGlLnNxXcCbB]=|\*\*|<=|>=|<>|==|--|\+\+|[-+*/()\[\]{}$,;.=<>:#@&|^!])"
)
_LABEL = re.compile(r"(?P<str>'[^'\n]*'|\"[^\"\n]*\")|(?P<label>[A-Za-z0-9_][A-Za-z0-9_+\-]*)")


class Scanner:
    """Tokens of a :class:`Source` on demand; ``peek``/``next`` in code mode, ``label`` in data-list mode."""

    def __init__(self, source: Source):
        self.source = source
        self.text = "\n".join(source.lines)
        self.starts = [0]
        for line in source.lines:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.pos = 0
        self._peeked = None

    # -- positions
    def where(self, pos) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, pos) - 1
        return line + 1, pos - self.starts[line] + 1

    def error(self, message, token=None) -> GamsError:
        token = token or self.peek()
        return self.source.error(message, token.line, token.col)

    def line_of(self, pos) -> int:
        return self.where(pos)[0]

    # -- code mode
    def _skip_space(self, pos):
        m = _SPACE.match(self.text, pos)
        return m.end() if m else pos

    def _read(self, pos) -> Token:
        pos = self._skip_space(pos)
        line, col = self.where(pos)
        if pos >= len(self.text):
            return Token("eof", None, "end of file", line, col, pos, pos)
        m = _CODE.match(self.text, pos)
        if not m:
            ch = self.text[pos]
            what = "an unclosed quote" if ch in "'\"" else f"the character {ch!r}"
            raise self.source.error(f"{what} is not part of the GAMS subset read here", line, col)
        kind = m.lastgroup
        text = m.group(0)
        value = {"num": lambda t: float(t), "str": lambda t: t[1:-1], "op": str.lower}.get(kind, lambda t: t)(text)
        return Token(kind, value, text, line, col, pos, m.end())

    def peek(self) -> Token:
        if self._peeked is None:
            self._peeked = self._read(self.pos)
        return self._peeked

    def peek2(self) -> Token:
        """The token after the next one."""
        return self._read(self.peek().end)

    def next(self) -> Token:
        token = self.peek()
        self.pos, self._peeked = token.end, None
        return token

    def first_on_line(self, token: Token) -> bool:
        """Is ``token`` the first thing on its line?"""
        return self.text[self.starts[token.line - 1]:token.pos].strip() == ""

    def line_from(self, token: Token) -> str:
        """The source text from ``token`` to the end of its line."""
        return self.text[token.pos:].split("\n", 1)[0].strip()

    def back(self, token: Token) -> None:
        """Make ``token`` (just read) the next token again."""
        self.pos, self._peeked = token.pos, None

    def at(self, *values) -> bool:
        """Is the next token one of these operators or (case-insensitive) keywords?"""
        token = self.peek()
        return (token.kind == "op" or token.kind == "id") and str(token.value).lower() in values

    def accept(self, *values) -> Token | None:
        return self.next() if self.at(*values) else None

    def expect(self, value, what=None) -> Token:
        token = self.peek()
        if not self.at(value):
            raise self.error(f"expected '{value}'{' ' + what if what else ''}, found {describe(token)}", token)
        return self.next()

    def ident(self, what="a name") -> Token:
        token = self.peek()
        if token.kind != "id":
            raise self.error(f"expected {what}, found {describe(token)}", token)
        return self.next()

    # -- data mode
    def label(self, what="a label") -> Token:
        """A set element as written in data: quoted text, or letters, digits, '_', '-', '+' (``new-york``)."""
        pos = self._skip_space(self.pos if self._peeked is None else self._peeked.pos)
        self._peeked = None
        line, col = self.where(pos)
        m = _LABEL.match(self.text, pos)
        if not m:
            token = self._read(pos)
            raise self.source.error(f"expected {what}, found {describe(token)}", line, col)
        value = m.group(0)[1:-1] if m.lastgroup == "str" else m.group(0)
        self.pos = m.end()
        return Token("label", value.strip(), m.group(0), line, col, pos, m.end())

    def rest_of_line(self, stops="") -> str:
        """Skip explanatory text: up to the end of the line or a character in ``stops`` outside quotes."""
        pos = self.pos
        while pos < len(self.text) and self.text[pos] in " \t":
            pos += 1
        start, quote = pos, None
        while pos < len(self.text) and self.text[pos] != "\n":
            ch = self.text[pos]
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"" and pos == start:
                quote = ch
            elif ch in stops:
                break
            pos += 1
        self.pos, self._peeked = pos, None
        return self.text[start:pos].strip()

    def table_text(self, keywords) -> tuple[str, int]:
        """A table's raw text: up to its ';' (consumed), or up to a line that starts with one of ``keywords`` (GAMS
        lets the next declaration end a table); and where it starts."""
        start = pos = self.pos
        while pos < len(self.text):
            end = self.text.find("\n", pos)
            end = len(self.text) if end < 0 else end
            line = self.text[pos:end]
            if pos > start and line.strip() and line.split()[0].lower().rstrip("(;") in keywords:
                self.pos, self._peeked = pos, None
                return self.text[start:pos], start
            quote = None
            for k, ch in enumerate(line):
                if quote:
                    quote = None if ch == quote else quote
                elif ch in "'\"":
                    quote = ch
                elif ch == ";":
                    self.pos, self._peeked = pos + k + 1, None
                    return self.text[start:pos + k], start
            pos = end + 1
        line, col = self.where(start)
        raise self.source.error("the table has no closing ';'", line, col)

    def raw_until(self, stop: str) -> tuple[str, int]:
        """The raw text from here to the next ``stop`` character outside quotes (consumed); and its start."""
        pos = self.pos
        start, quote = pos, None
        while pos < len(self.text):
            ch = self.text[pos]
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == stop:
                self.pos, self._peeked = pos + 1, None
                return self.text[start:pos], start
            pos += 1
        line, col = self.where(start)
        raise self.source.error(f"no closing '{stop}'", line, col)

    def skip_char(self) -> None:
        """Step over the character that :meth:`next_char` returned (without lexing: ``.3`` is no number here)."""
        pos = self._skip_space(self.pos)
        self.pos, self._peeked = pos + 1, None

    def next_char(self) -> str | None:
        """The next non-blank character, on this line or a later one (not lexed)."""
        pos = self._skip_space(self.pos)
        return self.text[pos] if pos < len(self.text) else None

    def inline_char(self) -> str | None:
        """The next non-blank character if it is on the line of the last token read (not lexed), else None."""
        pos = self.pos
        while pos < len(self.text) and self.text[pos] in " \t\r":
            pos += 1
        return None if pos >= len(self.text) or self.text[pos] == "\n" else self.text[pos]


def describe(token: Token) -> str:
    if token.kind == "eof":
        return "the end of the file"
    return f"'{token.text}'"
