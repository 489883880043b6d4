"""Portable CPU numerics: the same kernels, so the same bytes, on any x86-64 CPU with AVX2.

Math libraries pick their kernels by the CPU they find, and float results depend on the
kernel: torch's ATen (vectorised loops per instruction set), oneDNN (convolutions), MKL
(BLAS), NumPy (its own SIMD loops) and its OpenBLAS (BLAS, per CPU model), OpenCV (SIMD
paths). `portable` (params `runtime.numerics`, the default) caps each at the AVX2 level
through its documented control and fixes every thread count, so a result computed here is
the result computed on any other AVX2 machine; `native` leaves the libraries to choose
(what the shell sets applies).

    ATen        ATEN_CPU_CAPABILITY=avx2
    oneDNN      ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA=AVX2, ONEDNN_DEFAULT_FPMATH_MODE=STRICT
    MKL         MKL_CBWR=COMPATIBLE: conditional numerical reproducibility on the one branch
                MKL supports on every vendor's CPU (its AVX2 branch exists on Intel CPUs
                only, elsewhere MKL silently falls back to its own choice); MKL_DYNAMIC and
                OMP_DYNAMIC off, so thread counts stay as set
    NumPy       NPY_ENABLE_CPU_FEATURES=X86_V3 (its AVX2 level; nothing above)
    OpenBLAS    OPENBLAS_CORETYPE=Haswell (NumPy's and SciPy's BLAS)
    OpenCV      OPENCV_CPU_DISABLE: the AVX-512 paths this CPU has
    threads     OMP/MKL/OPENBLAS_NUM_THREADS: the stage's thread count

Two torch kernels stay CPU-dependent whatever the settings: the float square root and a
few transcendental functions go through MKL's vector math library, whose results on this
machine did not follow MKL_CBWR (pipeline.engine.loop.adam and the MemAE score avoid it).
Checked: every family's training steps give the same bytes here (an AVX-512 AMD EPYC) and
under QEMU emulating an Intel Haswell and an AMD EPYC-Rome (benchmarks/RESULTS.md).

Every variable is read once, when its library loads: a stage sets them first thing
(stages/_common.py), before NumPy or torch is imported. This module imports neither.
GPU kernels are not covered: cuDNN and cuBLAS pick kernels by GPU model.
"""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

MODES = ("portable", "native")
# What a library reads, in the portable setting (threads added per stage).
PORTABLE_ENV = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "DNNL_MAX_CPU_ISA": "AVX2",
    "ONEDNN_DEFAULT_FPMATH_MODE": "STRICT",
    "MKL_CBWR": "COMPATIBLE",
    "MKL_DYNAMIC": "FALSE",
    "OMP_DYNAMIC": "FALSE",
    "NPY_ENABLE_CPU_FEATURES": "X86_V3",
    "OPENBLAS_CORETYPE": "Haswell",
}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
# Settings a shell may hold that would fight the ones above: removed in the portable setting.
CONFLICTING = ("NPY_DISABLE_CPU_FEATURES", "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE")
# OpenCV's dispatched paths above AVX2, by the /proc/cpuinfo flag that enables each.
OPENCV_ABOVE_AVX2 = {"AVX512-SKX": "avx512bw", "AVX512-CLX": "avx512_vnni", "AVX512-CNL": "avx512vbmi",
                     "AVX512-ICL": "avx512_vbmi2", "AVX_VNNI": "avx_vnni"}
REQUIRED_FLAGS = ("avx2", "fma")


# The stage scripts (stages/<name>.py) that compute with runtime.cpu_threads threads; the
# others run one.
THREADED_STAGES = ("train", "infer")


def stage_setting(params: dict, script: str) -> tuple[str, int]:
    """(runtime.numerics, compute threads) of the stage script named `script` (its file
    name's stem): what stages/_common.py applies before the libraries load, and what a
    worker's preloaded libraries must have loaded under (pipeline.fanout.execute)."""
    threads = params["runtime"]["cpu_threads"] if script in THREADED_STAGES else 1
    return params["runtime"]["numerics"], threads


class UnsupportedCPU(RuntimeError):
    """The portable setting needs an x86-64 CPU with AVX2 and FMA."""


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def portable_env(threads: int, flags: set[str] | None = None) -> dict[str, str]:
    """Every variable the portable setting sets, for `threads` compute threads."""
    flags = cpu_flags() if flags is None else flags
    missing = [f for f in REQUIRED_FLAGS if f not in flags]
    if platform.machine() not in ("x86_64", "AMD64") or missing:
        raise UnsupportedCPU(f"params.yaml runtime.numerics is 'portable', which needs an x86-64 CPU with AVX2 and FMA; "
                             f"this one is {platform.machine()} without {', '.join(missing) or 'x86-64'}: set "
                             "runtime.numerics: native (results then hold for this CPU only).")
    env = dict(PORTABLE_ENV)
    above = [name for name, flag in OPENCV_ABOVE_AVX2.items() if flag in flags]
    if above:
        env["OPENCV_CPU_DISABLE"] = ",".join(above)
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    return env


def apply(mode: str, threads: int, environ=os.environ) -> dict[str, str]:
    """Set the variables of `mode` in `environ` (whatever was there before); returns what
    was set. Call before NumPy, SciPy, OpenCV or torch is imported."""
    if mode not in MODES:
        raise ValueError(f"runtime.numerics must be one of {MODES}, got {mode!r}")
    if mode == "native":
        return {}
    env = portable_env(threads)
    for name in CONFLICTING:
        environ.pop(name, None)
    environ.update(env)
    return env


def pin_threads(threads: int) -> None:
    """After the libraries are loaded: torch's intra-op threads and every BLAS/OpenMP pool
    NumPy and SciPy hold (threadpoolctl), at `threads`."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)


def in_effect() -> dict:
    """What this process computes with, for the provenance: the setting's variables as the
    process sees them, torch's kernel level and threads, the BLAS pools' threads."""
    facts = {name: os.environ.get(name) for name in (*PORTABLE_ENV, *THREAD_VARIABLES, "OPENCV_CPU_DISABLE")}
    torch = sys.modules.get("torch")   # only what the stage loaded: importing torch here would cost seconds
    if torch is not None:
        facts["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        facts["torch_threads"] = torch.get_num_threads()
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_info

        facts["blas_threads"] = sorted({f"{p['internal_api']}: {p['num_threads']}" for p in threadpool_info()})
    return facts
