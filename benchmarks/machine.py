"""What the numbers were measured on: NumPy, BLAS and its kernel, threads, CPU, date, load."""

from __future__ import annotations

import datetime
import os
import platform

import numpy as np

BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_description() -> str:
    """BLAS library, version, kernel and threads: threadpoolctl when installed, else NumPy's build info."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        pools = [
            p for p in threadpool_info() if p.get("user_api") == "blas" and "numpy" in p.get("filepath", "")
        ]
        pools = pools or [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            pool = pools[0]
            return (
                f"{pool.get('internal_api')} {pool.get('version')}, kernel {pool.get('architecture')}, "
                f"{pool.get('num_threads')} threads ({pool.get('threading_layer')})"
            )
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')} (kernel unknown: install threadpoolctl)"
    except Exception:  # show_config's layout is not a stable API
        return "unknown"


def torch_description() -> str:
    try:
        import torch
    except ImportError:
        return "not installed"
    return f"{torch.__version__}, {torch.get_num_threads()} threads"


def header_lines() -> list[str]:
    """One ``key: value`` line per fact, printed above the tables."""
    env = ", ".join(f"{name}={os.environ.get(name, 'unset')}" for name in BLAS_ENV)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return [
        f"date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs, load average {load}",
        f"python: {platform.python_version()}; numpy: {np.__version__}; torch: {torch_description()}",
        f"blas: {blas_description()}",
        f"environment: {env}",
    ]
