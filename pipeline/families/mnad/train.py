"""MNAD's training step (MNAD sec. 3.2 and 4.1; report sec. 5), run by the engine's loop.

Per step, as the official Train.py: forward with the current memory, loss
L = L_rec + lambda_c * L_compact + lambda_s * L_separate (eq. 6) [+ w_d * L_dist, the
report's supervision], Adam step, then the memory update (eq. 3) with the same queries
(all ranks' queries under torchrun, so the items stay identical everywhere). Cosine
annealing steps once per epoch (T_max = epochs).
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from pipeline.data.clips import (ClipDataset, channels_first, collate_clips, split_input_target,
                                 to_network)
from pipeline.data.resize import resize_frames
from pipeline.engine import distributed
from pipeline.engine.loop import Recipe, StepContext, adam
from pipeline.families.mnad import memory as mem
from pipeline.families.mnad.config import CHANNELS, FAMILY, TrainConfig, train_configs
from pipeline.families.mnad.model import MNAD, flatten_queries


NOISE_SCALINGS = ("report", "consistent")


def salt_and_pepper(x01: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """skimage's random_noise(mode='s&p', amount) on a float image in [0, 1]: each value (each
    channel of each pixel, independently) is replaced with probability `amount`, by 1 or 0
    with equal odds."""
    flipped = rng.random(x01.shape) < amount
    salt = rng.random(x01.shape) < 0.5
    return np.where(flipped, salt.astype(x01.dtype), x01)


def scale_noisy(noisy01: np.ndarray, scaling: str) -> np.ndarray:
    """The report's loader maps every frame with x / 127.5 - 1, meant for 0..255, also to the
    noisy frames, which skimage returns in [0, 1]: they reach the network in [-1, -0.992]
    ("report", what produced its 92.23%) while clean frames (the target, every test frame)
    span [-1, 1]. "consistent" maps the noisy frames to [-1, 1] too."""
    if scaling not in NOISE_SCALINGS:
        raise ValueError(f"noise_scaling must be one of {NOISE_SCALINGS}, got {scaling!r}")
    return noisy01 / 127.5 - 1.0 if scaling == "report" else noisy01 * 2 - 1


class DenoiserClips(torch.utils.data.Dataset):
    """The report's denoiser samples as its loader makes them (MNADrc
    model/utils_recons_ts_skip.py np_load_frame): each of the `frames` input frames, as
    stored, gets salt-and-pepper noise on its [0, 1] float image, is resized to the model's
    size with cv2's bilinear resize (of the float image) and scaled (scale_noisy); the target
    is the clean last frame, resized as uint8. The official loader adds the noise at the
    JPEG's own size: frames prepared at their native size (`prepare.<name>.size: null`) give
    exactly that order; prepared at the model's size, the resize changes nothing. The noise
    is a function of (seed, epoch, index): any number of loader workers gives the same samples.
    Item: (inputs float32 (frames, size, size, 3), target uint8 (size, size, 3)), RGB."""

    def __init__(self, dataset, size: int, frames: int, videos, amount: float, scaling: str, seed: int):
        scale_noisy(np.zeros(1), scaling)   # an unknown scaling fails here, not in a loader worker
        self.clips = ClipDataset(dataset, "train", None, frames, videos)   # frames as stored
        self.size, self.amount, self.scaling, self.seed, self.epoch = size, amount, scaling, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        clip = self.clips[i]
        noisy = salt_and_pepper(clip.astype(np.float64) / 255.0, self.amount,
                                np.random.default_rng([self.seed, self.epoch, i]))
        resized = np.stack([cv2.resize(f, (self.size, self.size), interpolation=cv2.INTER_LINEAR) for f in noisy])
        return scale_noisy(resized, self.scaling).astype(np.float32), resize_frames(clip[-1:], self.size)[0]


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
    collate = staticmethod(collate_clips)

    def dataset(self, prepared, videos):
        cfg, train = self.model_config, self.train_config
        if train.noise_amount > 0:   # the report's denoiser: every input frame noisy, the target clean
            return DenoiserClips(prepared, cfg.image_size, cfg.input_frames, videos, train.noise_amount,
                                 train.noise_scaling, train.seed)
        return ClipDataset(prepared, "train", cfg.image_size, self.sample_frames, videos)

    @property
    def sample_frames(self) -> int:
        return self.model_config.sample_frames

    def example_forward(self, model: MNAD, batch: int, device) -> torch.Tensor:
        arch = self.model_config
        inputs = torch.zeros(batch, arch.channels * arch.input_frames, arch.image_size, arch.image_size, device=device)
        items = torch.zeros(arch.num_items, arch.query_dim, device=device) if arch.memory else None
        return model(inputs, items)[0]

    def build(self) -> MNAD:
        return MNAD(self.model_config)

    def start(self, model: MNAD, ctx: StepContext) -> None:
        cfg, arch = self.train_config, self.model_config
        self.model = model
        # The items (eq. 3-5) are not parameters: official init, L2-normalised uniform noise.
        self.memory = mem.init_items(arch.num_items, arch.query_dim, torch.Generator().manual_seed(cfg.seed)
                                     ).to(ctx.device) if arch.memory else None
        self.optimizer = adam(model.parameters(), cfg.lr, ctx.device)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=cfg.epochs)

    def step(self, clips: torch.Tensor, ctx: StepContext) -> dict[str, torch.Tensor]:
        cfg, arch = self.train_config, self.model_config
        if isinstance(clips, (tuple, list)):   # DenoiserClips: inputs already noisy and scaled
            noisy, clean = clips
            inputs = channels_first(noisy.to(ctx.device, non_blocking=True), CHANNELS).flatten(1, 2)
            target = to_network(clean, ctx.device, CHANNELS)
        else:
            inputs, target = split_input_target(clips, arch.task, ctx.device, CHANNELS)
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
