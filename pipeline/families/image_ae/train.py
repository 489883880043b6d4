"""MemAE image-track training step, run by the engine's loop (one model per normal class:
the one-class sets are per-category datasets)."""
from __future__ import annotations

import torch

from pipeline.data.clips import ClipDataset
from pipeline.engine.loop import Recipe, StepContext, adam
from pipeline.families.clip_ae.memory import memae_loss
from pipeline.families.image_ae.config import FAMILY, train_configs
from pipeline.families.image_ae.model import ImageMemAE


def to_gray_batch(frames: torch.Tensor, device) -> torch.Tensor:
    """(B, [1,] S, S, 3) uint8 -> (B, 1, S, S) float in [-1, 1] (the digits are grey already)."""
    x = frames.to(device).float().reshape(-1, *frames.shape[-3:]).mean(dim=-1, keepdim=True)
    return x.div(127.5).sub(1.0).movedim(-1, 1)


class ImageRecipe(Recipe):
    family = FAMILY

    def dataset(self, prepared, videos):
        return ClipDataset(prepared, "train", self.model_config.image_size, 1, videos)

    def build(self) -> ImageMemAE:
        return ImageMemAE(self.model_config)

    def example_forward(self, model: ImageMemAE, batch: int, device) -> torch.Tensor:
        size = self.model_config.image_size
        return model(torch.zeros(batch, 1, size, size, device=device))[0]

    def start(self, model: ImageMemAE, ctx: StepContext) -> None:
        self.model = model
        self.optimizer = adam(model.parameters(), self.train_config.lr, ctx.device)

    def step(self, frames: torch.Tensor, ctx: StepContext) -> dict[str, torch.Tensor]:
        x = ctx.input(to_gray_batch(frames, ctx.device))
        with ctx.autocast():
            output, weights = self.model(x)
        loss, losses = memae_loss(output.float(), x, None if weights is None else weights.float(),
                                  self.train_config.entropy_weight)
        ctx.optimise(loss, self.optimizer)
        return {"loss": loss, **losses}


def recipe(params: dict, dataset: str, model: str, seed: int):
    arch, cfg, loop = train_configs(params, dataset, model, seed)
    return ImageRecipe(arch, cfg), loop
