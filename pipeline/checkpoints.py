"""Checkpoints: state_dict + memory items + the configs that built them, loadable with
torch.load(weights_only=True) (no pickled classes, so loading runs no foreign code)."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from pipeline.io import atomic_path
from pipeline.models.mnad import MNAD, MNADConfig


def save_checkpoint(path: Path, model: MNAD, items: torch.Tensor | None, train_cfg, epoch: int) -> None:
    state = {"model": model.state_dict(), "items": items.cpu() if items is not None else torch.empty(0),
             "model_config": model.cfg.to_dict(), "train_config": asdict(train_cfg), "epoch": epoch}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> tuple[MNAD, torch.Tensor | None, dict]:
    state = torch.load(path, map_location=device, weights_only=True)
    model = MNAD(MNADConfig(**state["model_config"])).to(device)
    model.load_state_dict(state["model"])
    items = state["items"].to(device) if model.cfg.memory else None
    return model, items, state
