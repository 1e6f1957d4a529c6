"""What every benchmark sweep shares: the machine description, BLAS pinned to one thread, progress, the JSON file."""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["machine_info", "load_average", "pinned_blas", "progress", "timestamp", "write_json",
           "numba_first_call_seconds"]


def machine_info() -> dict:
    """The machine: CPU model, core count, memory, caches, Python/numpy/numba versions, BLAS libraries."""
    import numba
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or ""
    mem = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    caches = []
    for idx in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        with contextlib.suppress(OSError):
            caches.append({f: (idx / f).read_text().strip() for f in ("level", "type", "size")})
    return {
        "caches": caches,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "memory_bytes": mem,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "blas": [
            {k: v for k, v in lib.items()
             if k in ("user_api", "internal_api", "version", "num_threads", "architecture")}
            for lib in threadpool_info()
        ],
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (empty where the platform has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


@contextlib.contextmanager
def pinned_blas():
    """Every BLAS library loaded, then limited to one thread; yields what the limit reports (checked).

    ``threadpoolctl.threadpool_limits`` only limits the libraries loaded when it is entered: numpy's and scipy's
    OpenBLAS are two libraries, so scipy's (the ``dgemm`` of the dense step) is imported first.
    """
    import scipy.linalg.blas  # noqa: F401
    import threadpoolctl

    with threadpoolctl.threadpool_limits(limits=1):
        info = [{k: v for k, v in lib.items() if k in ("internal_api", "filepath", "num_threads")}
                for lib in threadpoolctl.threadpool_info()]
        if any(lib["num_threads"] != 1 for lib in info):
            raise RuntimeError(f"BLAS threads not pinned to 1: {info}")
        yield info


def progress(total: int, desc: str, enabled: bool):
    """A tqdm bar on stderr (disabled: a silent one)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, file=sys.stderr)


def timestamp(t: float) -> str:
    """``t`` (seconds since the epoch) as an ISO 8601 UTC string."""
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).isoformat(timespec="seconds")


def write_json(data: dict, path: Path) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(path)


def numba_first_call_seconds(run) -> float:
    """Seconds of ``run()``, a first call of the compiled kernels at a tiny size: their compile time (or the
    load from numba's on-disk cache when an earlier run compiled them). Recorded once per results file."""
    t = time.perf_counter()
    run()
    return time.perf_counter() - t
