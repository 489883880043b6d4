"""Device choice and reproducibility switches."""
from __future__ import annotations

import os
import random

import numpy as np
import torch


def pick_device(requested: str = "auto") -> torch.device:
    """`auto`: CUDA when present (honours CUDA_VISIBLE_DEVICES), else CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"train.device={requested!r} but no CUDA device is visible; use 'auto' or 'cpu'.")
    return device


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch. On CPU training is then bit-for-bit repeatable.
    On CUDA cuDNN is put in deterministic mode; what remains nondeterministic there
    are atomic-add reductions in some backward kernels (e.g. ConvTranspose2d, max-pool
    backward), which torch only reports with `use_deterministic_algorithms(warn_only)`."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)
