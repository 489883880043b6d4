"""DAAD Fig. 1 as a generated experiment: learn block patterns of several sizes from one
normal image (A, diagonal stripes), then rebuild another normal image (B, the same stripes
shifted) and an abnormal one (C, vertical stripes) from those blocks alone.

The paper's claim (sec. 1): small blocks rebuild both B and C, a medium size rebuilds B
but not C, whole-image blocks rebuild neither. The memory holds every distinct b x b tile
of A (all offsets); an image is divided into b x b blocks (pipeline.models.daad.divide),
each block is read from the memory, and the blocks are assembled back. Two reads:
    nearest   the closest tile (Fig. 1's idealised "learned blocks")
    daad      eq. 1-2 with the 1/N cut: softmax of cosine similarities over all tiles
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from pipeline.families.daad.model import assemble, divide, read_blocks

READS = ("nearest", "daad")


@dataclass(frozen=True)
class ToyConfig:
    size: int = 32
    period: int = 8
    normal_train_phase: int = 0
    normal_test_phase: int = 3
    abnormal_phase: int = 1
    block_sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    rebuilt_mse: float = 0.1


def stripes(kind: str, phase: int, size: int, period: int) -> np.ndarray:
    """(size, size) float32 in {-1, 1}: diagonal ((i + j + phase) mod period < period/2) or
    vertical ((j + phase) mod period < period/2) stripes."""
    i, j = np.mgrid[:size, :size]
    coordinate = i + j if kind == "diagonal" else j
    return np.where((coordinate + phase) % period < period // 2, 1.0, -1.0).astype(np.float32)


def toy_images(cfg: ToyConfig) -> dict[str, torch.Tensor]:
    make = lambda kind, phase: torch.from_numpy(stripes(kind, phase, cfg.size, cfg.period))[None, None]  # noqa: E731
    return {"A (memory source)": make("diagonal", cfg.normal_train_phase), "B (normal)": make("diagonal", cfg.normal_test_phase),
            "C (abnormal)": make("vertical", cfg.abnormal_phase)}


def block_memory(image: torch.Tensor, block: int) -> torch.Tensor:
    """Every distinct block x block tile of a (1, 1, H, W) image, as (N, block^2) items."""
    tiles = image.unfold(2, block, 1).unfold(3, block, 1).reshape(-1, block * block)
    return torch.unique(tiles, dim=0)


def rebuild(image: torch.Tensor, items: torch.Tensor, block: int, read: str) -> torch.Tensor:
    if image.shape[-1] % block:
        raise ValueError(f"block size {block} does not divide the image side {image.shape[-1]}")
    rate = image.shape[-1] // block
    rates = (rate, rate, 1)
    queries = divide(image, rates)
    if read == "nearest":
        blocks = items[torch.cdist(queries[0], items).argmin(dim=1)][None]
    elif read == "daad":
        blocks, _ = read_blocks(queries, items)
    else:
        raise ValueError(f"read must be one of {READS}, got {read!r}")
    return assemble(blocks, image.shape, rates)


def run_toy(cfg: ToyConfig) -> tuple[pd.DataFrame, dict]:
    """Returns one row per (read, block size, image) with the MSE and whether it counts as
    rebuilt, and the reconstructions {(read, block, image name): array} for the figure."""
    images = toy_images(cfg)
    source = images["A (memory source)"]
    rows, pictures = [], {}
    for block in cfg.block_sizes:
        items = block_memory(source, block)
        for read in READS:
            for name in ("B (normal)", "C (abnormal)"):
                rebuilt = rebuild(images[name], items, block, read)
                mse = float((rebuilt - images[name]).pow(2).mean())
                rows.append({"read": read, "block": block, "items": len(items), "image": name, "mse": mse,
                             "rebuilt": mse < cfg.rebuilt_mse})
                pictures[(read, block, name)] = rebuilt[0, 0].numpy()
    return pd.DataFrame(rows), {"images": {k: v[0, 0].numpy() for k, v in images.items()}, "rebuilt": pictures}


def fig1_pattern(errors: pd.DataFrame, read: str = "nearest") -> dict:
    """Which block sizes rebuild both, only the normal image, or neither (DAAD sec. 1)."""
    pattern = {"both": [], "normal only": [], "neither": [], "abnormal only": []}
    for block, g in errors[errors.read == read].groupby("block"):
        normal = bool(g[g.image == "B (normal)"].rebuilt.iloc[0])
        abnormal = bool(g[g.image == "C (abnormal)"].rebuilt.iloc[0])
        key = "both" if normal and abnormal else "normal only" if normal else "abnormal only" if abnormal else "neither"
        pattern[key].append(int(block))
    return pattern
