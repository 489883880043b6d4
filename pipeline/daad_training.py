"""Training and inference of DAAD (Hou et al., ICCV 2021).

Loss (eq. 3-6, sec. 4.1): the generator minimises 50 L_rec + 0.5 L_adv + 0.5 L_ali, the
discriminator the GAN loss of eq. 5 (DAAD+); plain DAAD uses L_rec alone (lr 1e-4; 2e-4
with the adversarial terms), Adam (0.9, 0.999), batch 8, flips on MVTec AD. Score (eq. 7):
A = 0.9 R + 0.1 L with R the image's mean squared reconstruction error and L the mean
squared difference of discriminator features, each min-max scaled over the test images of
a video (of a category on MVTec AD) before fusion.

Left open by the paper (choices here): L_rec and L_ali as mean squared errors; the
generator's adversarial term is the non-saturating -log D(G(x)); one discriminator step
per generator step; each flip with probability 0.5.
MVTec AD trains one model per category (pipeline.per_video); video datasets train one model
on all training frames.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from pipeline.data.clips import ClipDataset, collate_uint8, split_input_target
from pipeline.data.index import PreparedDataset
from pipeline.devices import seed_everything
from pipeline.inference import WorstAbnormalFrame, psnr
from pipeline.epochs import EpochLog
from pipeline.models.daad import DAAD, DAADConfig
from pipeline.per_video import infer_frames, train_models

@dataclass(frozen=True)
class DAADTrainConfig:
    lr: float = 1e-4
    epochs: int = 1000
    batch_size: int = 8
    adversarial: bool = False       # DAAD+ (L_adv and L_ali)
    weight_rec: float = 50.0
    weight_adv: float = 0.5
    weight_ali: float = 0.5
    flips: bool = False
    checkpoint_every: int = 5
    seed: int = 0
    num_workers: int = 0


@dataclass(frozen=True)
class DAADInferConfig:
    batch_size: int = 32
    seed: int = 0


def _flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Horizontal and vertical flips, each with probability 0.5 per image."""
    h, v = (torch.rand(2, len(x), generator=generator) < 0.5).to(x.device)
    x = torch.where(h[:, None, None, None], x.flip(-1), x)
    return torch.where(v[:, None, None, None], x.flip(-2), x)


def _gan_bce(probability: torch.Tensor, real: bool) -> torch.Tensor:
    return F.binary_cross_entropy(probability.clamp(1e-6, 1 - 1e-6), torch.full_like(probability, float(real)))


def fit_daad(dataset_root: str | Path, out_dir: str | Path, model_cfg: DAADConfig, cfg: DAADTrainConfig,
             device: torch.device, videos: list[str] | None = None) -> pd.DataFrame:
    """Train on the training frames of `videos` (default all). Writes checkpoints/, final.pt
    and history.csv under out_dir."""
    out_dir = Path(out_dir)
    seed_everything(cfg.seed)
    data = ClipDataset(PreparedDataset(dataset_root), "train", model_cfg.image_size, 1, videos)
    if len(data) < cfg.batch_size:
        raise ValueError(f"{dataset_root}: {len(data)} training images, fewer than one batch of {cfg.batch_size}")
    loader = torch.utils.data.DataLoader(
        data, batch_size=cfg.batch_size, drop_last=True, collate_fn=collate_uint8, num_workers=cfg.num_workers,
        sampler=torch.utils.data.RandomSampler(data, generator=torch.Generator().manual_seed(cfg.seed)))
    model = DAAD(model_cfg).to(device)
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    flips = torch.Generator().manual_seed(cfg.seed + 1)
    log = EpochLog(out_dir, model, cfg, "daad")
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        for frames in tqdm(loader, desc=f"epoch {epoch}/{cfg.epochs}", leave=False, mininterval=2):
            x, _ = split_input_target(frames, "reconstruction", device)
            if cfg.flips:
                x = _flip(x, flips)
            x_hat, _ = model.generator(x)
            losses = {"reconstruction": F.mse_loss(x_hat, x)}
            loss = cfg.weight_rec * losses["reconstruction"]
            if cfg.adversarial:
                p_fake, f_fake = model.discriminator(x_hat)
                with torch.no_grad():
                    _, f_real = model.discriminator(x)
                losses["adversarial"] = _gan_bce(p_fake, True)
                losses["alignment"] = F.mse_loss(f_fake, f_real)
                loss = loss + cfg.weight_adv * losses["adversarial"] + cfg.weight_ali * losses["alignment"]
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
            if cfg.adversarial:  # eq. 5: D separates real inputs from reconstructions
                p_real, _ = model.discriminator(x)
                p_fake, _ = model.discriminator(x_hat.detach())
                losses["discriminator"] = _gan_bce(p_real, True) + _gan_bce(p_fake, False)
                opt_d.zero_grad(set_to_none=True)
                losses["discriminator"].backward()
                opt_d.step()
            log.add({"loss": loss, **losses})
        log.end_epoch(epoch)
    return log.finish()


def train_daad(dataset_root: str | Path, out_dir: str | Path, model_cfg: DAADConfig, cfg: DAADTrainConfig,
               device: torch.device) -> None:
    """One model, or one per category (out_dir/<category>/) on MVTec AD."""
    train_models(dataset_root, out_dir, lambda folder, videos: fit_daad(dataset_root, folder, model_cfg, cfg, device, videos))


@torch.no_grad()
def score_images(model: DAAD, frames: np.ndarray, cfg: DAADInferConfig, device: torch.device, worst: WorstAbnormalFrame
                 ) -> pd.DataFrame:
    """(T, H, W, 3) uint8 -> per image R (recon_error), L (feature_error) and PSNR."""
    rows = []
    for first in range(0, len(frames), cfg.batch_size):
        batch = torch.from_numpy(frames[first:first + cfg.batch_size])[:, None]
        x, _ = split_input_target(batch, "reconstruction", device)
        x_hat, _ = model.generator(x)
        _, f_real = model.discriminator(x)
        _, f_fake = model.discriminator(x_hat)
        recon = (x_hat - x).pow(2).flatten(1).mean(1)
        feature = (f_fake - f_real).pow(2).mean(1)
        for i, (r, f, p) in enumerate(zip(recon, feature, psnr(x_hat, x))):
            rows.append({"frame": first + i, "recon_error": float(r), "feature_error": float(f), "psnr": float(p)})
            worst.consider(first + i, float(p), x_hat[i], x[i])
    return pd.DataFrame(rows)


def infer_daad(train_dir: Path, checkpoint, dataset_root: str | Path, out_dir: str | Path, cfg: DAADInferConfig,
               device: torch.device) -> tuple[pd.DataFrame, int]:
    """Score every test image (one model per category on MVTec AD)."""
    return infer_frames(train_dir, checkpoint, dataset_root, out_dir,
                        lambda model, frames, worst: score_images(model, frames, cfg, device, worst), device)
