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

import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from pipeline.data.clips import ClipDataset, collate_uint8, split_input_target
from pipeline.data.index import PreparedDataset
from pipeline.devices import seed_everything
from pipeline.io import write_csv
from pipeline.models import memory as mem
from pipeline import distributed
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
    shuffle: bool = True
    # speed switches (issue: GPU speed); each keeps the paper's semantics
    bf16: bool = False            # autocast the network in bfloat16; memory ops stay float32
    channels_last: bool = False   # NHWC convolutions (faster tensor cores)
    compile: bool = False         # torch.compile the network
    sync_batchnorm: bool = True   # data-parallel runs: BatchNorm statistics over the global batch


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


@dataclass
class TrainResult:
    history: pd.DataFrame
    model: MNAD
    items: torch.Tensor | None


def train(dataset_root: str | Path, out_dir: str | Path, model_cfg: MNADConfig, cfg: TrainConfig,
          device: torch.device) -> pd.DataFrame:
    """Train one model; write `checkpoints/epoch_NNN.pt` every `checkpoint_every` epochs
    (and the last), `final.pt`, and `history.csv` (per-epoch mean losses)."""
    return fit(dataset_root, out_dir, model_cfg, cfg, device).history


def _loader(data, cfg: TrainConfig, ctx: distributed.Context, per_rank_batch: int) -> torch.utils.data.DataLoader:
    if ctx.distributed:
        sampler = torch.utils.data.DistributedSampler(data, ctx.world_size, ctx.rank, shuffle=cfg.shuffle,
                                                      seed=cfg.seed, drop_last=True)
    elif cfg.shuffle:
        sampler = torch.utils.data.RandomSampler(data, generator=torch.Generator().manual_seed(cfg.seed))
    else:
        sampler = torch.utils.data.SequentialSampler(data)
    return torch.utils.data.DataLoader(data, batch_size=per_rank_batch, sampler=sampler, drop_last=True,
                                       collate_fn=collate_uint8, num_workers=cfg.num_workers,
                                       pin_memory=ctx.device.type == "cuda")


def fit(dataset_root: str | Path, out_dir: str | Path, model_cfg: MNADConfig, cfg: TrainConfig,
        device: torch.device) -> TrainResult:
    """`cfg.batch_size` is the global batch: under torchrun each of the W ranks takes
    batch_size / W samples per step, and only rank 0 writes files."""
    out_dir = Path(out_dir)
    seed_everything(cfg.seed)
    ctx = distributed.setup(device)
    device = ctx.device
    if cfg.batch_size % ctx.world_size:
        raise ValueError(f"batch size {cfg.batch_size} does not split over {ctx.world_size} processes")
    per_rank = cfg.batch_size // ctx.world_size
    data = ClipDataset(PreparedDataset(dataset_root), "train", model_cfg.image_size,
                       model_cfg.input_frames + (model_cfg.task == "prediction"))
    if len(data) < cfg.batch_size:
        raise ValueError(f"{dataset_root}: {len(data)} training clips, fewer than one batch of {cfg.batch_size}")
    loader = _loader(data, cfg, ctx, per_rank)
    core = MNAD(model_cfg).to(device)
    if cfg.channels_last:
        core = core.to(memory_format=torch.channels_last)
    model = core
    if ctx.distributed:
        if cfg.sync_batchnorm and device.type == "cuda":  # torch's SyncBatchNorm is GPU-only
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
            core = model
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    if cfg.compile:
        model = torch.compile(model)
    items = mem.init_items(model_cfg.num_items, model_cfg.query_dim, torch.Generator().manual_seed(cfg.seed)).to(device) \
        if model_cfg.memory else None
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    noise_gen = torch.Generator().manual_seed(cfg.seed + 1 + ctx.rank)

    history = []
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        if ctx.distributed:
            loader.sampler.set_epoch(epoch)
        sums: dict[str, float] = {}
        start = time.perf_counter()
        for clips in tqdm(loader, desc=f"epoch {epoch}/{cfg.epochs}", leave=False, mininterval=2, disable=not ctx.is_main):
            inputs, target = split_input_target(clips, model_cfg.task, device)
            inputs = salt_and_pepper(inputs, cfg.noise_amount, noise_gen)
            if cfg.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
                output, query = model(inputs, items)
            losses = {"reconstruction": F.mse_loss(output.float(), target)}
            if model_cfg.memory:
                queries = flatten_queries(query.float())
                losses.update(memory_losses(queries, items, cfg, inputs.shape[0]))
            loss = total_loss(losses, cfg)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if model_cfg.memory:
                items = mem.update(items, distributed.gather_rows(ctx, queries.detach()), cfg.update_normalisation)
            for name, value in {"loss": loss, **losses}.items():
                sums[name] = sums.get(name, 0.0) + distributed.mean_over_ranks(ctx, value)
        scheduler.step()
        row = {"epoch": epoch, **{k: v / len(loader) for k, v in sums.items()},
               "lr": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - start}
        history.append(row)
        if ctx.is_main:
            tqdm.write(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
            if epoch % cfg.checkpoint_every == 0 or epoch == cfg.epochs:
                save_checkpoint(out_dir / "checkpoints" / f"epoch_{epoch:03d}.pt", core, items, cfg, epoch)
    frame = pd.DataFrame(history)
    if ctx.is_main:
        save_checkpoint(out_dir / "final.pt", core, items, cfg, cfg.epochs)
        write_csv(out_dir / "history.csv", frame)
    distributed.barrier(ctx)
    return TrainResult(frame, core, items)
