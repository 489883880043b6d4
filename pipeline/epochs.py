"""Per-epoch bookkeeping shared by the training loops of MemAE/LNTRA, DAAD and MemAE's image
track: mean losses per epoch, checkpoints every `checkpoint_every` epochs and at the last,
then final.pt and history.csv (the loss figure reads it)."""
from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import torch
from tqdm import tqdm

from pipeline.checkpoints import save_checkpoint
from pipeline.io import write_csv


class EpochLog:
    def __init__(self, out_dir: str | Path, model: torch.nn.Module, cfg, family: str, verbose: bool = True):
        self.out_dir, self.model, self.cfg, self.family, self.verbose = Path(out_dir), model, cfg, family, verbose
        self.history: list[dict] = []
        self.sums: dict[str, float] = {}
        self.steps, self.start = 0, time.perf_counter()

    def add(self, values: dict) -> None:
        """One step's losses (tensors or floats)."""
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value.detach() if torch.is_tensor(value) else value)
        self.steps += 1

    def end_epoch(self, epoch: int) -> None:
        row = {"epoch": epoch, **{k: v / max(self.steps, 1) for k, v in self.sums.items()},
               "seconds": time.perf_counter() - self.start}
        self.history.append(row)
        if self.verbose:
            tqdm.write(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        if epoch % self.cfg.checkpoint_every == 0 or epoch == self.cfg.epochs:
            save_checkpoint(self.out_dir / "checkpoints" / f"epoch_{epoch:03d}.pt", self.model, None, self.cfg, epoch,
                            self.family)
        self.sums, self.steps, self.start = {}, 0, time.perf_counter()

    def finish(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.history)
        save_checkpoint(self.out_dir / "final.pt", self.model, None, self.cfg, self.cfg.epochs, self.family)
        write_csv(self.out_dir / "history.csv", frame)
        return frame
