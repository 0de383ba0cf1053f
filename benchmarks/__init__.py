"""Scalable benchmark families for sharedeq and the runner that times them (``python -m benchmarks --help``).

* :mod:`benchmarks.generators`: seeded generators, each returning an :class:`sharedeq.EquilibriumProblem` built
  on a Pyomo model in O(N) time (river basin, Cournot, endowment economy, Fisher market).
* :mod:`benchmarks.runner`: one subprocess per measured run (so peak memory is per run), tables, baselines.
* :mod:`benchmarks.profile`: the pipeline's pieces timed one by one, with cProfile hotspots.
"""

from benchmarks.generators import FAMILIES, generate

__all__ = ["FAMILIES", "generate"]
