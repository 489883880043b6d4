"""MNAD's training step (MNAD sec. 3.2 and 4.1; report sec. 5), run by the engine's loop.

Per step, as the official Train.py: forward with the current memory, loss
L = L_rec + lambda_c * L_compact + lambda_s * L_separate (eq. 6) [+ w_d * L_dist, the
report's supervision], Adam step, then the memory update (eq. 3) with the same queries
(all ranks' queries under torchrun, so the items stay identical everywhere). Cosine
annealing steps once per epoch (T_max = epochs).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from pipeline.data.clips import ClipDataset, split_input_target
from pipeline.engine import distributed
from pipeline.engine.loop import Recipe, StepContext
from pipeline.families.mnad import memory as mem
from pipeline.families.mnad.config import FAMILY, TrainConfig, train_configs
from pipeline.families.mnad.model import MNAD, flatten_queries


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


class MNADRecipe(Recipe):
    family = FAMILY

    def dataset(self, prepared, videos):
        cfg = self.model_config
        return ClipDataset(prepared, "train", cfg.image_size, cfg.input_frames + (cfg.task == "prediction"), videos)

    def build(self) -> MNAD:
        return MNAD(self.model_config)

    def start(self, model: MNAD, ctx: StepContext) -> None:
        cfg, arch = self.train_config, self.model_config
        self.model = model
        # The items (eq. 3-5) are not parameters: official init, L2-normalised uniform noise.
        self.memory = mem.init_items(arch.num_items, arch.query_dim, torch.Generator().manual_seed(cfg.seed)
                                     ).to(ctx.device) if arch.memory else None
        self.optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=cfg.epochs)
        self.noise = torch.Generator().manual_seed(cfg.seed + 1 + ctx.dist.rank)

    def step(self, clips: torch.Tensor, ctx: StepContext) -> dict[str, torch.Tensor]:
        cfg, arch = self.train_config, self.model_config
        inputs, target = split_input_target(clips, arch.task, ctx.device)
        inputs = ctx.input(salt_and_pepper(inputs, cfg.noise_amount, self.noise))
        with ctx.autocast():
            output, query = self.model(inputs, self.memory)
        losses = {"reconstruction": F.mse_loss(output.float(), target)}
        if arch.memory:  # the memory's losses and update stay in float32
            queries = flatten_queries(query.float())
            losses.update(memory_losses(queries, self.memory, cfg, inputs.shape[0]))
        loss = total_loss(losses, cfg)
        ctx.optimise(loss, self.optimizer)
        if arch.memory:
            self.memory = mem.update(self.memory, distributed.gather_rows(ctx.dist, queries.detach()),
                                     cfg.update_normalisation)
        return {"loss": loss, **losses}

    def end_epoch(self, epoch: int, ctx: StepContext) -> dict[str, float]:
        self.scheduler.step()
        return {"lr": self.optimizer.param_groups[0]["lr"]}

    def items(self) -> torch.Tensor | None:
        return self.memory


def recipe(params: dict, dataset: str, model: str, seed: int):
    """(recipe, loop config) for one training run of `model` on `dataset`."""
    arch, cfg, loop = train_configs(params, dataset, model, seed)
    return MNADRecipe(arch, cfg), loop
