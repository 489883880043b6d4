"""Where and how a stage computes: device, seeds, deterministic kernels, CPU threads."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

from pipeline import numerics
from pipeline.io import InputError


def pick_device(requested: str = "auto") -> torch.device:
    """`auto`: CUDA when present (honours CUDA_VISIBLE_DEVICES), else CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"params.yaml runtime.device is {requested!r} but no CUDA device is visible; "
                         "use 'auto' or 'cpu'.")
    return device


def configure(device: torch.device, cpu_threads: int) -> None:
    """Fix what the results may depend on besides the seed, before any computation.

    CPU: a fixed intra-op thread count (how reductions are split across threads, and so
    their float rounding, depends on it: with OMP_NUM_THREADS=1 instead of 2 every
    family's first-epoch loss differs, while load from other processes changes nothing),
    for torch and for every BLAS pool NumPy holds (pipeline.numerics.pin_threads); which
    kernels run is set before torch loads (pipeline.numerics, stages/_common.py).
    Every op used has a deterministic CPU kernel, so torch.use_deterministic_algorithms(True)
    holds (an op without one would stop the stage rather than vary).
    CUDA: cuDNN in deterministic mode; ops without a deterministic CUDA kernel (the
    backward of transposed convolutions and max-pooling use atomic adds) only warn, and
    stay nondeterministic at float-rounding level."""
    numerics.pin_threads(cpu_threads)
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    deterministic_kernels(warn_only=device.type == "cuda")


def start(requested: str, cpu_threads: int) -> torch.device:
    """The device `runtime.device` asks for, configured to compute with `cpu_threads` threads."""
    device = pick_device(requested)
    configure(device, cpu_threads)
    return device


def deterministic_kernels(warn_only: bool, compiling: bool = False) -> None:
    """torch.use_deterministic_algorithms(True). That function also imports torch._inductor
    to set inductor's own flag, about 1 s in every stage; the flag matters only for
    torch.compile, so without compiling only the kernel switch is set (the call it makes)."""
    if compiling:
        torch.use_deterministic_algorithms(True, warn_only=warn_only)
    else:
        torch._C._set_deterministic_algorithms(True, warn_only=warn_only)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (global generators: network initialisation)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
