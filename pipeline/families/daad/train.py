"""DAAD's training step (Hou et al., ICCV 2021), run by the engine's loop.

Loss (eq. 3-6, sec. 4.1): the generator minimises 50 L_rec + 0.5 L_adv + 0.5 L_ali, the
discriminator the GAN loss of eq. 5 (DAAD+); plain DAAD uses L_rec alone. MVTec AD trains
one model per category (the engine does), video datasets one model on all training frames.

Left open by the paper (choices here): L_rec and L_ali as mean squared errors; the
generator's adversarial term is the non-saturating -log D(G(x)); one discriminator step
per generator step; each flip with probability 0.5.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from pipeline.data.clips import ClipDataset, split_input_target
from pipeline.engine.loop import Recipe, StepContext, adam
from pipeline.families.daad.config import FAMILY, train_configs
from pipeline.families.daad.model import DAAD


def flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Horizontal and vertical flips, each with probability 0.5 per image."""
    h, v = (torch.rand(2, len(x), generator=generator) < 0.5).to(x.device)
    x = torch.where(h[:, None, None, None], x.flip(-1), x)
    return torch.where(v[:, None, None, None], x.flip(-2), x)


def gan_bce(probability: torch.Tensor, real: bool) -> torch.Tensor:
    return F.binary_cross_entropy(probability.clamp(1e-6, 1 - 1e-6), torch.full_like(probability, float(real)))


class DAADRecipe(Recipe):
    family = FAMILY

    def dataset(self, prepared, videos):
        return ClipDataset(prepared, "train", self.model_config.image_size, 1, videos)

    def build(self) -> DAAD:
        return DAAD(self.model_config)

    def example_forward(self, model: DAAD, batch: int, device) -> torch.Tensor:
        size = self.model_config.image_size
        return model.generator(torch.zeros(batch, self.model_config.channels, size, size, device=device))[0]

    @staticmethod
    def compile_targets(model: DAAD) -> list[torch.nn.Module]:
        return [model.generator, model.discriminator]

    def start(self, model: DAAD, ctx: StepContext) -> None:
        lr = self.train_config.lr
        self.model = model
        self.opt_g = adam(model.generator.parameters(), lr, ctx.device)
        self.opt_d = adam(model.discriminator.parameters(), lr, ctx.device)
        self.flips = torch.Generator().manual_seed(self.train_config.seed + 1)

    def step(self, frames: torch.Tensor, ctx: StepContext) -> dict[str, torch.Tensor]:
        cfg, generator, discriminator = self.train_config, self.model.generator, self.model.discriminator
        x, _ = split_input_target(frames, "reconstruction", ctx.device)
        if cfg.flips:
            x = flip(x, self.flips)
        x = ctx.input(x)
        x_hat, _ = generator(x)
        losses = {"reconstruction": F.mse_loss(x_hat, x)}
        loss = cfg.weight_rec * losses["reconstruction"]
        if cfg.adversarial:
            p_fake, f_fake = discriminator(x_hat)
            with torch.no_grad():
                _, f_real = discriminator(x)
            losses["adversarial"] = gan_bce(p_fake, True)
            losses["alignment"] = F.mse_loss(f_fake, f_real)
            loss = loss + cfg.weight_adv * losses["adversarial"] + cfg.weight_ali * losses["alignment"]
        ctx.optimise(loss, self.opt_g)
        if cfg.adversarial:  # eq. 5: D separates real inputs from reconstructions
            p_real, _ = discriminator(x)
            p_fake, _ = discriminator(x_hat.detach())
            losses["discriminator"] = gan_bce(p_real, True) + gan_bce(p_fake, False)
            ctx.optimise(losses["discriminator"], self.opt_d)
        return {"loss": loss, **losses}


def recipe(params: dict, dataset: str, model: str, seed: int):
    arch, cfg, loop = train_configs(params, dataset, model, seed)
    return DAADRecipe(arch, cfg), loop
