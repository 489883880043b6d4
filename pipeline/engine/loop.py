"""The epoch loop every family trains through.

A family's train module builds a Recipe: its dataset, its network, and one training step
(forward, losses, `ctx.optimise` for each optimiser, any non-parameter state update). The
engine owns everything else: seeding, the loader (one seeded order; DistributedSampler
under torchrun), the speed switches, per-epoch mean losses in history.csv, checkpoints
every `checkpoint_every` epochs and at the last, final.pt, and one model per category on
datasets whose "videos" are categories.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from tqdm import tqdm

from pipeline.data.clips import collate_uint8
from pipeline.data.index import PreparedDataset
from pipeline.engine import distributed, runtime
from pipeline.engine.checkpoints import save_checkpoint
from pipeline.engine.runtime import seed_everything
from pipeline.io import InputError, write_csv
from pipeline.params import epochs, per_dataset, profile_section

SPEED_SWITCHES = ("bf16", "channels_last", "compile", "sync_batchnorm")
# Benchmarks' smoke switch (benchmarks/_smoke_stage.py): at most this many steps per epoch.
# No stage sets it and no params key reaches it: a DVC-recorded run always trains fully.
MAX_STEPS: int | None = None


@dataclass(frozen=True)
class LoopConfig:
    epochs: int
    batch_size: int               # the global batch: under torchrun each rank takes batch_size / world size
    checkpoint_every: int
    seed: int = 0
    num_workers: int = 0
    shuffle: bool = True
    bf16: bool = False            # autocast the network in bfloat16 (a family keeps its memory ops in float32)
    channels_last: bool = False   # NHWC (NDHWC for 3D) convolutions
    compile: bool = False         # torch.compile the modules the family names
    sync_batchnorm: bool = True   # torchrun on GPUs: BatchNorm statistics over the global batch


def adam(parameters, lr: float, device: torch.device) -> torch.optim.Adam:
    """Adam with PyTorch's defaults (betas 0.9 and 0.999, eps 1e-8), as every official script
    behind the audited numbers builds it. On CUDA in PyTorch's multi-tensor form (its default
    there). On the CPU in its fused form: the same update to float rounding
    (tests/test_training.py), and its square root is the IEEE one, the same on every CPU; the
    multi-tensor and per-parameter forms take the square root from MKL's vector math library,
    whose results vary with the CPU (pipeline.numerics)."""
    if device.type == "cpu":
        return torch.optim.Adam(parameters, lr=lr, fused=True)
    return torch.optim.Adam(parameters, lr=lr, foreach=True)


@dataclass
class StepContext:
    """What a training step needs from the engine."""
    device: torch.device
    dist: distributed.Context
    loop: LoopConfig

    def autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.loop.bf16)

    def input(self, x: torch.Tensor) -> torch.Tensor:
        if not self.loop.channels_last:
            return x
        return x.contiguous(memory_format=torch.channels_last if x.dim() == 4 else torch.channels_last_3d)

    def optimise(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """zero_grad, backward, gradients averaged over ranks, step."""
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        distributed.average_gradients(self.dist, (p for group in optimizer.param_groups for p in group["params"]))
        optimizer.step()


class Recipe:
    """What a family's train module gives the loop (anomalib's LightningModule, in small):
    the dataset, the network, one training step. Subclasses set `family` and define
    `dataset`, `build`, `start` (optimisers and state, after the network exists) and
    `step` (returns the step's losses, "loss" first); the rest has defaults."""
    family: str

    def __init__(self, model_config, train_config):
        self.model_config, self.train_config = model_config, train_config  # both saved in checkpoints

    collate = staticmethod(collate_uint8)  # prepared frames -> one uint8 tensor

    def compile_targets(self, model: torch.nn.Module) -> list[torch.nn.Module]:
        """The modules torch.compile wraps (those the step calls)."""
        return [model]

    def end_epoch(self, epoch: int, ctx: StepContext) -> dict[str, float]:
        """Per-epoch work after the last step (a scheduler step); extra history columns."""
        return {}

    def items(self) -> torch.Tensor | None:
        """State that is not a parameter but belongs in the checkpoint (MNAD's memory items)."""
        return None

    sample_frames = 1   # consecutive frames in one training sample

    def example_batch(self, batch: int):
        """A batch as the loader hands it to `step`, of random frames at the model's size:
        the cost plan's calibration times steps on it (pipeline.fanout.calibrate)."""
        size = self.model_config.image_size
        return torch.randint(0, 256, (batch, self.sample_frames, size, size, 3), dtype=torch.uint8)

    def example_forward(self, model: torch.nn.Module, batch: int, device) -> torch.Tensor:
        """The network's output for a batch of zeros: the plan counts its multiply-adds on the
        meta device (pipeline.fanout.plan.compute_ratio)."""
        raise NotImplementedError


def _loader(data, loop: LoopConfig, ctx: distributed.Context, collate) -> torch.utils.data.DataLoader:
    if ctx.distributed:
        sampler = torch.utils.data.DistributedSampler(data, ctx.world_size, ctx.rank, shuffle=loop.shuffle,
                                                      seed=loop.seed, drop_last=True)
    elif loop.shuffle:
        sampler = torch.utils.data.RandomSampler(data, generator=torch.Generator().manual_seed(loop.seed))
    else:
        sampler = torch.utils.data.SequentialSampler(data)
    return torch.utils.data.DataLoader(data, batch_size=loop.batch_size // ctx.world_size, sampler=sampler,
                                       drop_last=True, collate_fn=collate, num_workers=loop.num_workers,
                                       pin_memory=ctx.device.type == "cuda")


def _switch_on(model: torch.nn.Module, loop: LoopConfig, ctx: distributed.Context, compile_targets) -> torch.nn.Module:
    if loop.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if ctx.distributed and loop.sync_batchnorm and ctx.device.type == "cuda":  # torch's SyncBatchNorm is GPU-only
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    if loop.compile:
        runtime.deterministic_kernels(torch.is_deterministic_algorithms_warn_only_enabled(), compiling=True)
        for module in compile_targets(model):
            module.compile()
    return model


def fit(recipe: Recipe, prepared_root: str | Path, out_dir: str | Path, loop: LoopConfig, device: torch.device,
        videos: list[str] | None = None, verbose: bool = True) -> pd.DataFrame:
    """Train one model on the training frames of `videos` (default all); rank 0 writes
    checkpoints/epoch_NNN.pt, final.pt and history.csv (per-epoch mean losses)."""
    out_dir = Path(out_dir)
    seed_everything(loop.seed)
    ctx = distributed.setup(device)
    if loop.batch_size % ctx.world_size:
        raise InputError(f"batch size {loop.batch_size} does not split over {ctx.world_size} processes")
    data = recipe.dataset(PreparedDataset(prepared_root), videos)
    if len(data) < loop.batch_size:
        raise InputError(f"{prepared_root}: {len(data)} training samples, fewer than one batch of {loop.batch_size}")
    loader = _loader(data, loop, ctx, recipe.collate)
    core = recipe.build().to(ctx.device)
    core = _switch_on(core, loop, ctx, recipe.compile_targets)
    step_ctx = StepContext(ctx.device, ctx, loop)
    recipe.start(core, step_ctx)
    history = []
    for epoch in range(1, loop.epochs + 1):
        core.train()
        if ctx.distributed:
            loader.sampler.set_epoch(epoch)
        if hasattr(data, "set_epoch"):
            data.set_epoch(epoch)
        sums: dict[str, float] = {}
        steps = 0
        for batch in tqdm(loader, desc=f"epoch {epoch}/{loop.epochs}", leave=False, mininterval=2,
                          disable=not (ctx.is_main and verbose)):
            distributed.broadcast_buffers(ctx, core)
            for name, value in recipe.step(batch, step_ctx).items():
                value = distributed.mean_over_ranks(ctx, value) if torch.is_tensor(value) else float(value)
                sums[name] = sums.get(name, 0.0) + value
            steps += 1
            if MAX_STEPS is not None and steps >= MAX_STEPS:
                break
        row = {"epoch": epoch, **{k: v / steps for k, v in sums.items()}, **recipe.end_epoch(epoch, step_ctx)}
        history.append(row)
        if ctx.is_main:
            if verbose:
                tqdm.write(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
            if epoch % loop.checkpoint_every == 0 or epoch == loop.epochs:
                save_checkpoint(out_dir / "checkpoints" / f"epoch_{epoch:03d}.pt", core, recipe.family,
                                recipe.train_config, epoch, recipe.items())
    frame = pd.DataFrame(history)
    if ctx.is_main:
        save_checkpoint(out_dir / "final.pt", core, recipe.family, recipe.train_config, loop.epochs, recipe.items())
        write_csv(out_dir / "history.csv", frame)
    distributed.barrier(ctx)
    return frame


def train(recipe: Recipe, prepared_root: str | Path, out_dir: str | Path, loop: LoopConfig,
          device: torch.device) -> None:
    """One model, or one per category (out_dir/<category>/) on datasets whose videos are
    categories; there the first category's history is also out_dir/history.csv (the loss figure)."""
    dataset = PreparedDataset(prepared_root)
    if not dataset.per_category:
        fit(recipe, prepared_root, out_dir, loop, device)
        return
    categories = dataset.videos("train")
    for i, category in enumerate(tqdm(categories, desc="one model per category", unit="category")):
        history = fit(recipe, prepared_root, Path(out_dir) / category, loop, device, [category], verbose=False)
        if i == 0:
            write_csv(Path(out_dir) / "history.csv", history)


def loop_config(params: dict, family: str, dataset: str, seed: int,
                switches: tuple[str, ...] = SPEED_SWITCHES, overrides: dict | None = None) -> LoopConfig:
    """The loop settings every family shares: `profiles.<p>.<family>.train` (batch size, per
    dataset if a mapping; checkpoint interval), its epochs for `dataset`,
    `runtime.num_workers`, and the speed switches in `speed.<family>`, which may hold only
    those the family supports. `overrides` (a model's own batch_size / epochs for this
    profile) take precedence."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - {"batch_size", "epochs"})
    if unknown:
        raise InputError(f"params.yaml: a model's by_profile settings may set batch_size, epochs and lr, not {unknown}")
    train = profile_section(params, family)["train"]
    speed = dict(params["speed"][family])
    unsupported = sorted(set(speed) - set(switches))
    if unsupported:
        raise InputError(f"params.yaml speed.{family}: the {family} family cannot use {unsupported}; "
                         f"it supports {list(switches) or 'none'}.")
    batch = per_dataset(train["batch_size"], dataset, f"profiles.{params['profile']}.{family}.train.batch_size")
    return LoopConfig(epochs=per_dataset(overrides.get("epochs", epochs(params, family, dataset)), dataset, "epochs"),
                      batch_size=overrides.get("batch_size", batch), checkpoint_every=train["checkpoint_every"],
                      seed=seed, num_workers=params["runtime"]["num_workers"], **speed)
