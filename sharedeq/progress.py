"""Progress and logging: what a long solve, sweep or benchmark is doing while it runs.

Two channels, both on stderr so that stdout keeps only the answer:

* the ``logging`` logger ``"sharedeq"``: every stage of a solve (KKT conditions, each relaxation step, the
  polish, the agents' checks) at INFO, with its time; configure it as any library logger
  (``logging.basicConfig(level=logging.INFO)``);
* a one-line tqdm progress bar (stage, iteration of the interior-point method or Ipopt, its residual, elapsed
  time), shown
  only when it helps: stderr is a terminal, the run has lasted more than :data:`DELAY` seconds, and nobody asked
  for quiet. It is never shown in tests or when stderr is piped.

``verbose`` (the solve option, and the command line's ``-q``/``-v``): ``0`` or False silent, ``None``
(default) the bar when interactive, ``1`` the bar even when stderr is not a terminal, ``2`` the iteration log
on stdout instead of the bar (one line per interior-point iteration; Ipopt's own log, ``print_level`` 5, for
the relaxation). The environment variable
``SHAREDEQ_PROGRESS=0`` turns the bar off everywhere.

A solve inside a :func:`track`-ed loop (a sweep, a benchmark) shows no bar of its own: the loop's bar counts the
solves and names the current one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time

logger = logging.getLogger("sharedeq")

#: Seconds before a bar appears (runs shorter than this print nothing), and between two redraws.
DELAY = 1.0
REDRAW = 0.1

_active: list[Progress] = []          # the reporters of the runs now in progress, outermost first


def interactive(verbose=None) -> bool:
    """Whether a progress bar should be drawn for ``verbose`` (see the module docstring)."""
    if os.environ.get("SHAREDEQ_PROGRESS") == "0" or (verbose is not None and not verbose):
        return False
    if verbose is not None:                       # True or 1: asked for; 2: Ipopt's log is the progress
        return verbose is True or verbose < 2
    stderr_is_terminal = getattr(sys.stderr, "isatty", lambda: False)()
    return stderr_is_terminal and "PYTEST_CURRENT_TEST" not in os.environ


class Progress:
    """One run's reporter: stages go to the log (INFO) and, when there is a bar, to the bar on stderr.

    A run inside another one that has a bar (a solve inside a sweep) writes its stage and iteration into that
    bar's postfix instead of drawing a second one.
    """

    def __init__(self, description: str, verbose=None, total=None, unit="it"):
        self.description = description
        self.started = time.perf_counter()
        self.stage_name = ""
        self.stage_started = self.started
        self.iterations = 0
        self.pid = os.getpid()
        outer = _drawn_bar()
        self.owns_bar = outer is None and interactive(verbose)
        self.bar = outer
        if self.owns_bar:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=description, unit=unit, delay=DELAY, mininterval=REDRAW, leave=False,
                            file=sys.stderr, dynamic_ncols=True,
                            bar_format=None if total else "{desc} [{elapsed}]{postfix}")
            self._closed = threading.Event()
            threading.Thread(target=self._tick, args=(self.bar, self._closed), daemon=True).start()

    def stage(self, name: str) -> None:
        """A new stage: log it and show its name."""
        self.stage_name, self.stage_started, self.iterations = name, time.perf_counter(), 0
        logger.info("%s: %s", self.description, name)
        if self.owns_bar:
            self.bar.set_description_str(f"{self.description}: {name}", refresh=False)
            self._show("")
        elif self.bar is not None:
            self._show(name)

    def done(self, what: str) -> None:
        """Log the end of the current stage with its time (``what``: its outcome)."""
        logger.info("%s: %s: %s (%.2f s)", self.description, self.stage_name, what,
                    time.perf_counter() - self.stage_started)

    def iteration(self, residual: float | None = None) -> None:
        """One more Ipopt iteration of the current stage (``residual``: the relaxed equations' violation)."""
        self.iterations += 1
        if self.bar is not None:
            text = f"iteration {self.iterations}" + ("" if residual is None else f", residual {residual:.1e}")
            self._show(text if self.owns_bar else f"{self.stage_name}, {text}")

    def note(self, label: str) -> None:
        """Name the item a counted loop is about to run (logged at DEBUG)."""
        logger.debug("%s: %s", self.description, label)
        if self.bar is not None:
            self._show(label)

    def step(self) -> None:
        """One more item of a counted loop done."""
        if self.owns_bar:
            self.bar.update(1)

    def _show(self, postfix: str) -> None:
        """Set the bar's postfix; tqdm redraws at most every 0.1 s and not before its ``delay``."""
        self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.update(0)

    @staticmethod
    def _tick(bar, closed) -> None:
        """Redraw every half second, so that the elapsed time runs on through a long silent stage."""
        while not closed.wait(0.5):
            bar.update(0)

    def close(self) -> None:
        if self.owns_bar:
            self._closed.set()
            self.bar.close()
        self.bar = None


@contextlib.contextmanager
def run(description: str, verbose=None, total=None, unit="it"):
    """``with run("solve river basin", verbose) as progress:`` -- the reporter that :func:`stage` and
    :func:`iteration` talk to until the block ends."""
    progress = Progress(description, verbose, total, unit)
    _active.append(progress)
    try:
        yield progress
    finally:
        _active.remove(progress)
        progress.close()


def current() -> Progress | None:
    """The innermost run in progress, or None."""
    return _active[-1] if _active else None


def stage(name: str) -> None:
    """Report a new stage to the innermost run (nothing when none is active)."""
    if _active:
        _active[-1].stage(name)


def done(what: str) -> None:
    """Report the end of the innermost run's stage (its outcome) to the log."""
    if _active:
        _active[-1].done(what)


def watching() -> bool:
    """Whether anyone shows Ipopt's iterations (the innermost run writes to a bar)."""
    return bool(_active) and _active[-1].bar is not None and _active[-1].pid == os.getpid()


def iteration_watch(inner, n_equations: int):
    """An Ipopt iteration callback ``(x, g) -> stop?`` that reports each iteration to the innermost run and then
    asks ``inner`` (which may be None: never stop)."""
    import numpy as np

    def watch(x, g) -> bool:
        if _active:
            _active[-1].iteration(float(np.max(np.abs(g[:n_equations]), initial=0.0)))
        return bool(inner(x, g)) if inner is not None else False

    return watch


def interior_log(print_iterations: bool):
    """The interior-point method's ``log`` callback: each iteration to the innermost run's bar and, when
    ``print_iterations`` (``verbose=2``), one line on stdout, like Ipopt's log; None when nobody listens."""
    if not print_iterations and not watching():
        return None
    if print_iterations:
        print(f"{'iter':>4s} {'mu':>10s} {'||F-v+w||':>10s} {'step':>10s}   (interior point)", flush=True)

    def log(iteration, mu, infeasibility, step) -> None:
        if print_iterations:
            print(f"{iteration:4d} {mu:10.3e} {infeasibility:10.3e} {step:10.3e}", flush=True)
        if _active:
            _active[-1].iteration(infeasibility)

    return log


def _drawn_bar():
    """The bar that this process draws now (a forked child does not write into its parent's), or None."""
    return next((p.bar for p in reversed(_active) if p.bar is not None and p.pid == os.getpid()), None)


def echo(text: str) -> None:
    """Print a line on stderr above the progress line, if one is drawn, without breaking it."""
    bar = _drawn_bar()
    if bar is not None:
        bar.write(text, file=sys.stderr)
    else:
        print(text, file=sys.stderr, flush=True)


def track(iterable, description: str, total=None, verbose=None, unit="it", label=str):
    """``for item in track(items, "sweep"):`` -- the items, with one bar for the loop (solves inside it show none).

    The bar's postfix names the item about to run: ``label(item)``, cut to 40 characters.
    """
    if total is None:
        total = len(iterable) if hasattr(iterable, "__len__") else None
    with run(description, verbose, total, unit) as progress:
        for item in iterable:
            progress.note(_label(label(item)))
            yield item
            progress.step()


def _label(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
