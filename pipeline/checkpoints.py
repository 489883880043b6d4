"""Checkpoints: state_dict + memory items + the configs that built them, loadable with
torch.load(weights_only=True) (no pickled classes, so loading runs no foreign code).
`family` says which architecture the model config builds (see pipeline.families)."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from pipeline.io import InputError, atomic_path


def build_model(family: str, config: dict) -> torch.nn.Module:
    if family == "mnad":
        from pipeline.models.mnad import MNAD, MNADConfig
        return MNAD(MNADConfig(**config))
    if family == "clip_ae":
        from pipeline.models.memae import MemAE, MemAEConfig
        return MemAE(MemAEConfig(**{**config, "widths": tuple(config["widths"])}))
    if family == "image_ae":
        from pipeline.models.memae import ImageMemAE, ImageMemAEConfig
        return ImageMemAE(ImageMemAEConfig(**{**config, "widths": tuple(config["widths"]),
                                              "strides": tuple(config["strides"])}))
    if family == "daad":
        from pipeline.models.daad import DAAD, DAADConfig
        return DAAD(DAADConfig.from_dict(config))
    raise ValueError(f"unknown model family {family!r}")


def save_checkpoint(path: Path, model: torch.nn.Module, items: torch.Tensor | None, train_cfg, epoch: int,
                    family: str = "mnad") -> None:
    state = {"model": model.state_dict(), "items": items.cpu() if items is not None else torch.empty(0),
             "model_config": model.cfg.to_dict(), "train_config": asdict(train_cfg), "epoch": epoch, "family": family}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> tuple[torch.nn.Module, torch.Tensor | None, dict]:
    state = torch.load(path, map_location=device, weights_only=True)
    state.setdefault("family", "mnad")
    model = build_model(state["family"], state["model_config"]).to(device)
    model.load_state_dict(state["model"])
    items = state["items"].to(device) if state["items"].numel() else None
    return model, items, state


def checkpoint_path(train_dir: Path, checkpoint) -> Path:
    """`final`, or an epoch number saved under checkpoints/ (the report scored every 5th)."""
    train_dir = Path(train_dir)
    path = train_dir / "final.pt" if checkpoint == "final" else train_dir / "checkpoints" / f"epoch_{int(checkpoint):03d}.pt"
    if not path.exists():
        saved = sorted(p.stem for p in (train_dir / "checkpoints").glob("*.pt"))
        raise InputError(f"{path} not found; models.<model>.infer.checkpoint must be 'final' or one of {saved}, "
                         "or re-run the train stage")
    return path
