"""The machine a benchmark ran on, in one line: ratios from one run only compare within one CPU model.

bf16 is only fast where the CPU has bf16 units (AVX512-BF16, or AMX on recent Xeons), so the line
names those too: the same table on an AVX2-only CPU measures fp32 everywhere.
"""
from __future__ import annotations

import platform
from pathlib import Path

import torch

from ganvas.device import BF16_FLAGS

UNITS = (("amx_bf16", "AMX"), ("avx512_bf16", "AVX512-BF16"), ("avx512f", "AVX-512"), ("avx2", "AVX2"))


def cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return platform.processor() or platform.machine()


def vector_units(cpuinfo: str) -> str:
    flags = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags = set(value.split())
            break
    present = [name for flag, name in UNITS if flag in flags]
    bf16 = "bf16 units" if flags & set(BF16_FLAGS) else "no bf16 units (fp32 throughout)"
    return ", ".join(present + [bf16])


def describe(cpuinfo_path: Path = Path("/proc/cpuinfo")) -> str:
    try:
        cpuinfo = cpuinfo_path.read_text()
    except OSError:
        cpuinfo = ""
    units = vector_units(cpuinfo) if cpuinfo else "vector units unknown"
    return (f"{cpu_model(cpuinfo)} ({platform.machine()}; {units}), {torch.get_num_threads()} threads, "
            f"torch {torch.__version__}")
