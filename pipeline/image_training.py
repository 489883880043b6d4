"""MemAE's image track (sec. 4.1, Table 1): training and scoring of the 2D MemAE, its AE and
MemAE-nonSpar on one-class image sets, one model per normal class (pipeline.per_video).
Loss and optimiser as the video model: MSE + 0.0002 * entropy (eq. 10), Adam 1e-4. Score:
per-image reconstruction error, min-max scaled over the class's test set (sec. 4.1)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from pipeline.data.clips import ClipDataset, collate_uint8
from pipeline.data.index import PreparedDataset
from pipeline.devices import seed_everything
from pipeline.inference import WorstAbnormalFrame, psnr
from pipeline.epochs import EpochLog
from pipeline.models.memae import ImageMemAE, ImageMemAEConfig, memae_loss
from pipeline.per_video import infer_frames, train_models


@dataclass(frozen=True)
class ImageTrainConfig:
    lr: float = 1e-4
    epochs: int = 100
    batch_size: int = 32
    entropy_weight: float = 0.0002
    checkpoint_every: int = 10
    seed: int = 0
    num_workers: int = 0


@dataclass(frozen=True)
class ImageInferConfig:
    batch_size: int = 256


def to_gray_batch(frames: torch.Tensor, device) -> torch.Tensor:
    """(B, [1,] S, S, 3) uint8 -> (B, 1, S, S) float in [-1, 1] (the digits are grey already)."""
    x = frames.to(device).float().reshape(-1, *frames.shape[-3:]).mean(dim=-1, keepdim=True)
    return x.div(127.5).sub(1.0).movedim(-1, 1)


def fit_image_ae(dataset_root: str | Path, out_dir: str | Path, model_cfg: ImageMemAEConfig, cfg: ImageTrainConfig,
                 device: torch.device, videos: list[str] | None = None) -> pd.DataFrame:
    out_dir = Path(out_dir)
    seed_everything(cfg.seed)
    data = ClipDataset(PreparedDataset(dataset_root), "train", model_cfg.image_size, 1, videos)
    loader = torch.utils.data.DataLoader(
        data, batch_size=min(cfg.batch_size, len(data)), drop_last=True, collate_fn=collate_uint8,
        num_workers=cfg.num_workers, sampler=torch.utils.data.RandomSampler(data, generator=torch.Generator().manual_seed(cfg.seed)))
    model = ImageMemAE(model_cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    log = EpochLog(out_dir, model, cfg, "image_ae", verbose=False)  # ten models: the class bar shows progress
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        for frames in loader:
            x = to_gray_batch(frames, device)
            output, weights = model(x)
            loss, losses = memae_loss(output, x, weights, cfg.entropy_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            log.add({"loss": loss, **losses})
        log.end_epoch(epoch)
    return log.finish()


def train_image_ae(dataset_root: str | Path, out_dir: str | Path, model_cfg: ImageMemAEConfig, cfg: ImageTrainConfig,
                   device: torch.device) -> None:
    categories = PreparedDataset(dataset_root).videos("train")
    with tqdm(total=len(categories), desc="one-class models", unit="class") as progress:
        def fit(folder: Path, videos):
            history = fit_image_ae(dataset_root, folder, model_cfg, cfg, device, videos)
            progress.update()
            return history
        train_models(dataset_root, out_dir, fit)


@torch.no_grad()
def score_images(model: ImageMemAE, frames: np.ndarray, cfg: ImageInferConfig, device, worst: WorstAbnormalFrame
                 ) -> pd.DataFrame:
    rows = []
    for first in range(0, len(frames), cfg.batch_size):
        x = to_gray_batch(torch.from_numpy(frames[first:first + cfg.batch_size]), device)
        output, _ = model(x)
        errors = (output - x).pow(2).flatten(1).mean(1)
        for i, (e, p) in enumerate(zip(errors, psnr(output.clamp(-1, 1), x))):
            rows.append({"frame": first + i, "recon_error": float(e), "psnr": float(p)})
            worst.consider(first + i, float(p), output[i].clamp(-1, 1).expand(3, -1, -1), x[i].expand(3, -1, -1))
    return pd.DataFrame(rows)


def infer_image_ae(train_dir: Path, checkpoint, dataset_root, out_dir, cfg: ImageInferConfig, device):
    return infer_frames(train_dir, checkpoint, dataset_root, out_dir,
                        lambda model, frames, worst: score_images(model, frames, cfg, device, worst), device)
