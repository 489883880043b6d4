"""MemAE image-track test pass: each image's reconstruction error, by the model of its class
(MemAE sec. 4.1: min-max scaled over the class's test set, which the score stage does)."""
from __future__ import annotations


import pandas as pd
import torch

from pipeline.data.clips import VideoFrames
from pipeline.engine.frames import WorstAbnormalFrame, psnr
from pipeline.engine.testing import ModelScorer, frame_runner
from pipeline.families.image_ae.config import ImageInferConfig, infer_config
from pipeline.families.image_ae.model import ImageMemAE, build
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


def describe(model: ImageMemAE) -> tuple[bool, str]:
    c = model.cfg
    memory = f"memory of {c.num_items} items" if c.memory else "no memory"
    return c.memory, f"Conv2d {'-'.join(map(str, c.widths))} on {c.image_size}px, {memory}, one model per class"


run = frame_runner(ImageScorer, describe, build)


def config(params: dict, model: str, seed: int) -> ImageInferConfig:
    return infer_config(params, model, seed)
