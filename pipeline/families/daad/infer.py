"""DAAD's test pass: every image (frame) scored on its own, by the model of its category on
MVTec AD. Signals (eq. 7): R = mean squared reconstruction error, L = mean squared
difference of the discriminator features f_D of the input and its reconstruction."""
from __future__ import annotations


import pandas as pd
import torch

from pipeline.data.clips import VideoFrames, split_input_target
from pipeline.engine.frames import WorstAbnormalFrame, psnr
from pipeline.engine.testing import ModelScorer, frame_runner
from pipeline.families.daad.config import DAADInferConfig, infer_config
from pipeline.families.daad.model import DAAD, build


class DAADScorer(ModelScorer):
    @torch.no_grad()
    def video(self, frames: VideoFrames, worst: WorstAbnormalFrame) -> pd.DataFrame:
        """frames at the model's size -> per image R (recon_error), L (feature_error) and PSNR."""
        rows = []
        for first in range(0, len(frames), self.cfg.batch_size):
            batch = torch.from_numpy(frames.read(first, first + self.cfg.batch_size))[:, None]
            x, _ = split_input_target(batch, "reconstruction", self.device)
            x_hat, _ = self.model.generator(x)
            _, f_real = self.model.discriminator(x)
            _, f_fake = self.model.discriminator(x_hat)
            recon = (x_hat - x).pow(2).flatten(1).mean(1)
            feature = (f_fake - f_real).pow(2).mean(1)
            for i, (r, f, p) in enumerate(zip(recon, feature, psnr(x_hat, x))):
                rows.append({"frame": first + i, "recon_error": float(r), "feature_error": float(f), "psnr": float(p)})
                worst.consider(first + i, float(p), x_hat[i], x[i])
        return pd.DataFrame(rows)


def describe(model: DAAD) -> tuple[bool, str]:
    c = model.cfg
    memory = (f"block memories at levels {list(c.memory_levels)} (rates {list(c.rates)}, N = {c.num_items})"
              if c.memory_levels else "no memory")
    return bool(c.memory_levels), (f"UNet width {c.width} on {c.image_size}px, {memory}, "
                                   f"{'skips' if c.skips else 'no skips'}, "
                                   f"{sum(p.numel() for p in model.generator.parameters()):,} generator parameters")


run = frame_runner(DAADScorer, describe, build)


def config(params: dict, model: str, seed: int) -> DAADInferConfig:
    return infer_config(params, model, seed)
