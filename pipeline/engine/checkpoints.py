"""Checkpoints: state_dict + extra state (MNAD's memory items) + the configs that built them,
loadable with torch.load(weights_only=True) (no pickled classes, so loading runs no foreign
code). `family` names the folder whose `model.build` rebuilds the network: the caller hands
that `build` in (the engine knows no family; pipeline.families.load_checkpoint looks it up
from the file). The bytes depend only on the tensors and configs: the file is
serialised in memory (torch.save names the archive inside after the file it writes, and
outputs are written under temporary names), then written atomically."""
from __future__ import annotations

import io
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Callable

import torch

from pipeline.io import InputError, atomic_path

Build = Callable[[dict], torch.nn.Module]   # a family's model.build: a model config dict -> the network


def save_checkpoint(path: Path, model: torch.nn.Module, family: str, train_config, epoch: int,
                    items: torch.Tensor | None = None) -> None:
    state = {"model": model.state_dict(), "items": items.detach().cpu() if items is not None else torch.empty(0),
             "model_config": model.cfg.to_dict(),
             "train_config": asdict(train_config) if is_dataclass(train_config) else dict(train_config),
             "epoch": epoch, "family": family}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def read_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> dict:
    return torch.load(path, map_location=device, weights_only=True)


def load_checkpoint(path: str | Path, build: Build, device: torch.device | str = "cpu"
                    ) -> tuple[torch.nn.Module, torch.Tensor | None, dict]:
    """(network, extra items or None, the checkpoint's state), the network rebuilt by `build`."""
    state = read_checkpoint(path, device)
    model = build(state["model_config"]).to(device)
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


def size_facts(train_dir: Path, checkpoint, build: Build) -> dict:
    """The report's cost table: parameters of the network (memory items kept outside it,
    MNAD's, counted apart) and bytes of the checkpoint file. Per-category runs (a model per
    MVTec AD category or digit) report their first category's."""
    train_dir = Path(train_dir)
    if not (train_dir / "final.pt").exists() and not (train_dir / "checkpoints").is_dir():
        categories = sorted(p for p in train_dir.iterdir() if p.is_dir())
        train_dir = categories[0] if categories else train_dir
    path = checkpoint_path(train_dir, checkpoint)
    model, items, _ = load_checkpoint(path, build)
    return {"parameters": sum(p.numel() for p in model.parameters()),
            "memory_items": 0 if items is None else int(items.numel()), "checkpoint_bytes": path.stat().st_size}
