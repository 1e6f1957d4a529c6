"""``python -m firesets.bench``: the benchmark sweeps that write ``book/data/`` (one thread, machine recorded).

``--sweep gd`` (the default) is :mod:`firesets.bench.gd`, the GD steppers of Chapter 4; ``--sweep sgd`` is
:mod:`firesets.bench.sgd`, minibatch SGD with half-space reporting (the SGD chapter); ``--sweep distributed``
is :mod:`firesets.bench.distributed`, the DTree sharded over neurons on a local Dask cluster; ``--sweep all`` runs every
sweep of :data:`SWEEPS`. The other flags go to the sweep (``--quick``, ``--tiny``, ``--out``, ``--mem-gib``,
``--seed``, ``--no-progress``).
"""
from __future__ import annotations

import argparse

from . import distributed, gd, sgd
from .gd import ETA, GRIDS, live_time, make_data, memory_estimate, run, time_config

__all__ = ["SWEEPS", "main", "ETA", "GRIDS", "live_time", "make_data", "memory_estimate", "run", "time_config"]

#: the sweeps by name: each takes the remaining command-line arguments and returns an exit code
SWEEPS = {"gd": gd.main, "sgd": sgd.main, "distributed": distributed.main}


def main(argv=None) -> int:
    """Run ``--sweep NAME`` (default ``gd``; ``all``: every sweep in order) with the remaining arguments."""
    parser = argparse.ArgumentParser(prog="python -m firesets.bench", add_help=False)
    parser.add_argument("--sweep", default="gd", choices=sorted(SWEEPS) + ["all"])
    args, rest = parser.parse_known_args(argv)
    names = list(SWEEPS) if args.sweep == "all" else [args.sweep]
    code = 0
    for name in names:
        code = SWEEPS[name](rest) or code
    return code
