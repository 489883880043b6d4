"""MemAE image-track test pass: each image's reconstruction error, by the model of its class
(MemAE sec. 4.1: min-max scaled over the class's test set, which the score stage does)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from pipeline.data.clips import VideoFrames
from pipeline.engine.frames import WorstAbnormalFrame, psnr
from pipeline.engine.testing import ModelScorer, score_split
from pipeline.families.image_ae.config import ImageInferConfig, infer_config
from pipeline.families.image_ae.train import to_gray_batch


class ImageScorer(ModelScorer):
    @torch.no_grad()
    def video(self, frames: VideoFrames, worst: WorstAbnormalFrame) -> pd.DataFrame:
        rows = []
        for first in range(0, len(frames), self.cfg.batch_size):
            x = to_gray_batch(torch.from_numpy(frames.read(first, first + self.cfg.batch_size)), self.device)
            output, _ = self.model(x)
            errors = (output - x).pow(2).flatten(1).mean(1)
            for i, (e, p) in enumerate(zip(errors, psnr(output.clamp(-1, 1), x))):
                rows.append({"frame": first + i, "recon_error": float(e), "psnr": float(p)})
                worst.consider(first + i, float(p), output[i].clamp(-1, 1).expand(3, -1, -1), x[i].expand(3, -1, -1))
        return pd.DataFrame(rows)


def run(cfg: ImageInferConfig, train_dir: Path, checkpoint, prepared_root, out_dir: Path, device: torch.device
        ) -> tuple[pd.DataFrame, dict]:
    table, scorer, state = score_split(train_dir, checkpoint, prepared_root, out_dir, device,
                                       lambda model, items, state: ImageScorer(model, cfg, device))
    c = scorer.model.cfg
    memory = f"memory of {c.num_items} items" if c.memory else "no memory"
    return table, {"checkpoint_epoch": int(state["epoch"]), "task": "reconstruction", "scored_frames": "all frames",
                   "memory": c.memory, "architecture": f"Conv2d {'-'.join(map(str, c.widths))} on {c.image_size}px, "
                                                        f"{memory}, one model per class"}


def config(params: dict, model: str, seed: int) -> ImageInferConfig:
    return infer_config(params, model, seed)
