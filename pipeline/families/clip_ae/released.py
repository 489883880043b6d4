"""MemAE and LNTRA checkpoints as their official code saves them.

MemAE (donggong1/memae-anomaly-detection, script_training.py): model.state_dict() of
AutoEncoderCov3DMem (models/memae_3dconv.py) or of the plain AutoEncoderCov3D
(models/ae_3dconv.py): `encoder.<i>`, `decoder.<i>` as ours, the memory `mem_rep.memory.weight`.
LNTRA (aseuteurideu/LearningNotToReconstructAnomalies): train.py saves {'model':
nn.DataParallel(convAE()), 'optimizer': ...}; evaluate.py also reads {'model_statedict':
state_dict}. Names are `module.encoder.encoder.<i>` / `module.decoder.decoder.<i>`
(model/autoencoder.py, model/reconstruction_model.py), the same layers as ours.
"""
from __future__ import annotations

from pathlib import Path

import torch

from pipeline.engine.released import (Imported, checkpoint_files, classes_in, load_matching, load_official,
                                      module_tensors, one_file, rename, sha256)
from pipeline.families.clip_ae.model import MemAE
from pipeline.io import InputError

NAMES = [
    (r"module\.(.+)", r"\1"),  # DataParallel; applied first, then the rules below on what is left
]
LAYERS = [
    (r"encoder\.encoder\.(.+)", r"encoder.\1"),
    (r"decoder\.decoder\.(.+)", r"decoder.\1"),
    (r"mem_rep\.memory\.weight", "memory.items"),
]


def _tensors(held, path: Path) -> tuple[dict[str, torch.Tensor], str, list[str]]:
    """(tensors by official name, the format, official classes) of what the file holds."""
    if hasattr(held, "official_name"):
        return module_tensors(held), "whole pickled model", classes_in(held)
    if isinstance(held, dict) and hasattr(held.get("model"), "official_name"):
        return module_tensors(held["model"]), "{'model': pickled model} (LNTRA train.py)", classes_in(held["model"])
    if isinstance(held, dict) and isinstance(held.get("model_statedict"), dict):
        return dict(held["model_statedict"]), "{'model_statedict': state_dict} (LNTRA evaluate.py)", []
    if isinstance(held, dict) and held and all(isinstance(v, torch.Tensor) for v in held.values()):
        return dict(held), "state_dict (MemAE)", []
    keys = sorted(held)[:5] if isinstance(held, dict) else type(held).__name__
    raise InputError(f"{path} holds {keys}: neither a MemAE state_dict nor an LNTRA checkpoint ('model' or "
                     "'model_statedict')")


def import_checkpoint(folder: Path, model: MemAE) -> Imported:
    files = checkpoint_files(folder)
    path = one_file(files, (".pt", ".pth", ".tar", ".pkl"), "checkpoint file", folder)
    tensors, form, classes = _tensors(load_official(path), path)
    tensors = rename(rename(tensors, NAMES), LAYERS)
    c = model.cfg
    what = f"the 3D-conv autoencoder {'with a memory of ' + str(c.num_items) + ' items' if c.memory else 'without memory'}"
    load_matching(model, tensors, path, what)
    return Imported(model, None, {"format": form, "classes": classes, "files": {path.name: sha256(path)}})
