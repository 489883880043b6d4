"""A checkpoint file opened by the family it names (the engine itself knows no family: its
loaders take the family's `build`)."""
from __future__ import annotations

from pipeline.engine.checkpoints import load_checkpoint as load_with, read_checkpoint
from pipeline.families import load


def load_checkpoint(path, device="cpu"):
    """(network, extra items or None, state) of a checkpoint file, rebuilt by its family's model.build."""
    return load_with(path, load(read_checkpoint(path)["family"], "model").build, device)
