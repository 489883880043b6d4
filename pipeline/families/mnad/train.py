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
from pipeline.engine.loop import Recipe, StepContext, adam
from pipeline.families.mnad import memory as mem
from pipeline.families.mnad.config import CHANNELS, FAMILY, TrainConfig, train_configs
from pipeline.families.mnad.model import MNAD, flatten_queries


NOISE_SCALINGS = ("report", "consistent")


def salt_and_pepper(x01: torch.Tensor, amount: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """skimage's random_noise(mode='s&p', amount) on values in [0, 1]: each value (each
    channel of each pixel, independently) is replaced with probability `amount`, by 1 or 0
    with equal odds."""
    flipped = torch.rand(x01.shape, generator=generator).to(x01.device) < amount
    salt = torch.rand(x01.shape, generator=generator).to(x01.device) < 0.5
    return torch.where(flipped, salt.to(x01.dtype), x01)


def noisy_inputs(inputs: torch.Tensor, amount: float, scaling: str, generator: torch.Generator | None) -> torch.Tensor:
    """The report's denoising input (sec. 5; MNADrc model/utils_recons_ts_skip.py): noise on
    the frame in [0, 1] (skimage's float image), then its loader's [-1, 1] mapping for 0..255
    frames, x / 127.5 - 1: the noisy frames reach the network in [-1, -0.992] ("report", what
    produced its 92.23%), while clean frames (the target, and every test frame) span
    [-1, 1]. "consistent" maps the noisy frames to [-1, 1] too.
    inputs: frames in [-1, 1] (any shape) -> noisy frames."""
    if scaling not in NOISE_SCALINGS:
        raise ValueError(f"noise_scaling must be one of {NOISE_SCALINGS}, got {scaling!r}")
    noisy = salt_and_pepper((inputs + 1) / 2, amount, generator)
    return noisy / 127.5 - 1.0 if scaling == "report" else noisy * 2 - 1


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
        self.optimizer = adam(model.parameters(), cfg.lr)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=cfg.epochs)
        self.noise = torch.Generator().manual_seed(cfg.seed + 1 + ctx.dist.rank)

    def step(self, clips: torch.Tensor, ctx: StepContext) -> dict[str, torch.Tensor]:
        cfg, arch = self.train_config, self.model_config
        inputs, target = split_input_target(clips, arch.task, ctx.device, CHANNELS)
        if cfg.noise_amount > 0:  # every input frame noisy, the target the clean last frame
            inputs = noisy_inputs(inputs, cfg.noise_amount, cfg.noise_scaling, self.noise)
        inputs = ctx.input(inputs)
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
