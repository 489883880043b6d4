"""Training of the 3D-convolution clip autoencoders: MemAE (Gong et al. 2019) and LNTRA
(Astrid et al. 2021).

MemAE sec. 3.5 / 4: L = MSE(x_hat, x) + alpha * E(w_hat), alpha = 0.0002 (eq. 10), Adam
lr 1e-4; the memory is a parameter learned by backprop (no write rule). LNTRA sec. 3.2 /
4.1: the same network without memory and with a tanh output, trained on the reconstruction
of the normal clip while, with probability p, its input is a pseudo anomaly (eq. 3-4).
LNTRA does not restate its optimiser; the MemAE code it builds on (Adam 1e-4) is used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch
from tqdm import tqdm

from pipeline.data.clips import GrayClipDataset
from pipeline.data.index import PreparedDataset
from pipeline.devices import seed_everything
from pipeline.epochs import EpochLog
from pipeline.models.memae import MemAE, MemAEConfig, memae_loss
from pipeline.pseudo_anomalies import PseudoAnomalies, PseudoAnomalyConfig


@dataclass(frozen=True)
class ClipTrainConfig:
    lr: float = 1e-4
    epochs: int = 60
    batch_size: int = 4
    entropy_weight: float = 0.0002
    pseudo_anomaly: PseudoAnomalyConfig = field(default_factory=PseudoAnomalyConfig)
    checkpoint_every: int = 5
    seed: int = 0
    num_workers: int = 0


def _collate(batch):
    inputs, targets, pseudo = zip(*batch)
    return torch.stack(inputs), torch.stack(targets), torch.tensor(pseudo)


def fit_clip_model(dataset_root: str | Path, out_dir: str | Path, model_cfg: MemAEConfig, image_size: int,
                   cfg: ClipTrainConfig, device: torch.device) -> pd.DataFrame:
    """Writes checkpoints/epoch_NNN.pt, final.pt and history.csv (per-epoch mean losses and
    the share of pseudo-anomalous inputs)."""
    out_dir = Path(out_dir)
    seed_everything(cfg.seed)
    corrupt = None
    if cfg.pseudo_anomaly.kind != "none":
        corrupt = PseudoAnomalies(cfg.pseudo_anomaly, image_size, image_size)
    data = GrayClipDataset(PreparedDataset(dataset_root), "train", image_size, model_cfg.frames, corrupt, cfg.seed)
    if len(data) < cfg.batch_size:
        raise ValueError(f"{dataset_root}: {len(data)} training clips, fewer than one batch of {cfg.batch_size}")
    loader = torch.utils.data.DataLoader(
        data, batch_size=cfg.batch_size, sampler=torch.utils.data.RandomSampler(data, generator=torch.Generator().manual_seed(cfg.seed)),
        drop_last=True, collate_fn=_collate, num_workers=cfg.num_workers)
    model = MemAE(model_cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    log = EpochLog(out_dir, model, cfg, "clip_ae")
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        data.set_epoch(epoch)
        for inputs, target, pseudo in tqdm(loader, desc=f"epoch {epoch}/{cfg.epochs}", leave=False, mininterval=2):
            inputs, target = inputs.to(device), target.to(device)
            output, weights = model(inputs)
            loss, losses = memae_loss(output, target, weights, cfg.entropy_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            log.add({"loss": loss, **losses, "pseudo_anomaly_share": pseudo.float().mean()})
        log.end_epoch(epoch)
    return log.finish()
