"""MemAE / LNTRA training step, run by the engine's loop.

MemAE sec. 3.5 / 4: L = MSE(x_hat, x) + alpha * E(w_hat), alpha = 0.0002 (eq. 10), Adam; the
memory is a parameter learned by backprop (no write rule). LNTRA sec. 3.2 / 4.1: the same
network without memory and with a tanh output, trained on the reconstruction of the normal
clip while, with probability p, its input is a pseudo anomaly (eq. 3-4).
"""
from __future__ import annotations

import torch

from pipeline.data.clips import GrayClipDataset
from pipeline.engine.loop import Recipe, StepContext, adam
from pipeline.families.clip_ae.config import FAMILY, train_configs
from pipeline.families.clip_ae.memory import memae_loss
from pipeline.families.clip_ae.model import MemAE
from pipeline.families.clip_ae.pseudo_anomalies import PseudoAnomalies


class ClipRecipe(Recipe):
    family = FAMILY

    def dataset(self, prepared, videos):
        size, pseudo = self.model_config.image_size, self.train_config.pseudo_anomaly
        corrupt = PseudoAnomalies(pseudo, size, size) if pseudo.kind != "none" else None
        return GrayClipDataset(prepared, "train", size, self.model_config.frames, corrupt, self.train_config.seed, videos)

    @staticmethod
    def collate(batch):
        inputs, targets, pseudo = zip(*batch)
        return torch.stack(inputs), torch.stack(targets), torch.tensor(pseudo)

    def build(self) -> MemAE:
        return MemAE(self.model_config)

    def example_batch(self, batch: int):
        arch = self.model_config
        clips = torch.rand(batch, 1, arch.frames, arch.image_size, arch.image_size) * 2 - 1
        return clips, clips, torch.zeros(batch, dtype=torch.bool)

    def example_forward(self, model: MemAE, batch: int, device) -> torch.Tensor:
        arch = self.model_config
        return model(torch.zeros(batch, 1, arch.frames, arch.image_size, arch.image_size, device=device))[0]

    def start(self, model: MemAE, ctx: StepContext) -> None:
        self.model = model
        self.optimizer = adam(model.parameters(), self.train_config.lr, ctx.device)

    def step(self, batch, ctx: StepContext) -> dict[str, torch.Tensor]:
        inputs, target, pseudo = batch
        inputs, target = ctx.input(inputs.to(ctx.device)), target.to(ctx.device)
        with ctx.autocast():
            output, weights = self.model(inputs)
        loss, losses = memae_loss(output.float(), target, None if weights is None else weights.float(),
                                  self.train_config.entropy_weight)
        ctx.optimise(loss, self.optimizer)
        return {"loss": loss, **losses, "pseudo_anomaly_share": pseudo.float().mean()}


def recipe(params: dict, dataset: str, model: str, seed: int):
    arch, cfg, loop = train_configs(params, dataset, model, seed)
    return ClipRecipe(arch, cfg), loop
