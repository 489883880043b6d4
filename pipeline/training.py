"""Training of the MNAD family (MNAD sec. 3.2 and 4.1; report sec. 5).

Per step, as the official Train.py: forward with the current memory, loss
L = L_rec + lambda_c * L_compact + lambda_s * L_separate (eq. 6) [+ w_d * L_dist, the
report's supervision], Adam step, then the memory update (eq. 3) with the same queries.
Cosine annealing steps once per epoch (T_max = epochs).
"""
from __future__ import annotations

import time
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
from pipeline.io import write_csv
from pipeline.models import memory as mem
from pipeline.checkpoints import save_checkpoint
from pipeline.models.mnad import MNAD, MNADConfig, flatten_queries


@dataclass(frozen=True)
class TrainConfig:
    lr: float = 2e-4
    epochs: int = 60
    batch_size: int = 4
    lambda_c: float = 0.1
    lambda_s: float = 0.1
    compactness: bool = True
    separateness: bool = True
    separateness_margin: float = 1.0
    supervision: bool = False
    supervision_weight: float = 1.0
    supervision_target: str = "assignment"
    update_normalisation: str = "official"
    noise_amount: float = 0.0  # salt-and-pepper on the input (report sec. 5 denoiser)
    checkpoint_every: int = 5
    seed: int = 0
    num_workers: int = 0


def salt_and_pepper(x: torch.Tensor, amount: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Set a fraction `amount` of pixels (all channels) to -1 or +1 with equal odds."""
    if amount <= 0:
        return x
    b, _, h, w = x.shape
    u = torch.rand(b, 1, h, w, generator=generator).to(x.device)
    out = x.clone()
    out = torch.where(u < amount / 2, torch.full_like(x, -1.0), out)
    return torch.where((u >= amount / 2) & (u < amount), torch.full_like(x, 1.0), out)


def memory_losses(queries: torch.Tensor, items: torch.Tensor, cfg: TrainConfig, batch_size: int) -> dict[str, torch.Tensor]:
    losses = {}
    if cfg.compactness:
        losses["compactness"] = mem.compactness_loss(queries, items)
    if cfg.separateness:
        losses["separateness"] = mem.separateness_loss(queries, items, cfg.separateness_margin)
    if cfg.supervision:
        losses["supervision"] = mem.supervision_loss(queries, items, batch_size, cfg.supervision_target)
    return losses


def total_loss(losses: dict[str, torch.Tensor], cfg: TrainConfig) -> torch.Tensor:
    weights = {"reconstruction": 1.0, "compactness": cfg.lambda_c, "separateness": cfg.lambda_s,
               "supervision": cfg.supervision_weight}
    return sum(weights[name] * value for name, value in losses.items())


def train(dataset_root: str | Path, out_dir: str | Path, model_cfg: MNADConfig, cfg: TrainConfig,
          device: torch.device) -> pd.DataFrame:
    """Train one model; write `checkpoints/epoch_NNN.pt` every `checkpoint_every` epochs
    (and the last), `final.pt`, and `history.csv` (per-epoch mean losses)."""
    out_dir = Path(out_dir)
    seed_everything(cfg.seed)
    data = ClipDataset(PreparedDataset(dataset_root), "train", model_cfg.image_size, model_cfg.input_frames + (model_cfg.task == "prediction"))
    if len(data) < cfg.batch_size:
        raise ValueError(f"{dataset_root}: {len(data)} training clips, fewer than one batch of {cfg.batch_size}")
    loader_gen = torch.Generator().manual_seed(cfg.seed)
    loader = torch.utils.data.DataLoader(
        data, batch_size=cfg.batch_size, shuffle=True, drop_last=True, generator=loader_gen,
        collate_fn=collate_uint8, num_workers=cfg.num_workers, pin_memory=device.type == "cuda")
    model = MNAD(model_cfg).to(device)
    items = mem.init_items(model_cfg.num_items, model_cfg.query_dim, torch.Generator().manual_seed(cfg.seed)).to(device) \
        if model_cfg.memory else None
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    noise_gen = torch.Generator().manual_seed(cfg.seed + 1)

    history = []
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        sums: dict[str, float] = {}
        start = time.perf_counter()
        for clips in tqdm(loader, desc=f"epoch {epoch}/{cfg.epochs}", leave=False, mininterval=2):
            inputs, target = split_input_target(clips, model_cfg.task, device)
            inputs = salt_and_pepper(inputs, cfg.noise_amount, noise_gen)
            output, query = model(inputs, items)
            losses = {"reconstruction": F.mse_loss(output, target)}
            if model_cfg.memory:
                queries = flatten_queries(query)
                losses.update(memory_losses(queries, items, cfg, inputs.shape[0]))
            loss = total_loss(losses, cfg)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if model_cfg.memory:
                items = mem.update(items, queries.detach(), cfg.update_normalisation)
            for name, value in {"loss": loss, **losses}.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach())
        scheduler.step()
        row = {"epoch": epoch, **{k: v / len(loader) for k, v in sums.items()},
               "lr": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - start}
        history.append(row)
        tqdm.write(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        if epoch % cfg.checkpoint_every == 0 or epoch == cfg.epochs:
            save_checkpoint(out_dir / "checkpoints" / f"epoch_{epoch:03d}.pt", model, items, cfg, epoch)
    save_checkpoint(out_dir / "final.pt", model, items, cfg, cfg.epochs)
    frame = pd.DataFrame(history)
    write_csv(out_dir / "history.csv", frame)
    return frame
