"""MNAD checkpoints as the official code saves them (cvlab-yonsei/MNAD Train.py, and the
report's alchemi5t/MNADrc with the same module names): `model.pth` = torch.save(model), the
whole convAE pickled; `keys.pt` (released as `m_items.pt` too) = the memory items, a bare
(10, 512) tensor. The official encoder also holds `moduleBatchNorm`, which its forward pass
never calls (model/final_future_prediction_with_memory_spatial_sumonly_weight_ranking_top1.py,
model/Reconstruction.py): it is dropped.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch

from pipeline.engine.released import (Imported, checkpoint_files, classes_in, load_matching, load_official,
                                      module_tensors, one_file, rename, sha256)
from pipeline.families.mnad.model import MNAD
from pipeline.io import InputError

MODEL_SUFFIXES = (".pth",)
ITEMS_SUFFIXES = (".pt",)

# official name -> ours (pipeline.families.mnad.model). The output head (official
# moduleDeconv1: conv-BN-ReLU x2, conv, tanh) is our head.0 (the first six) and head.1.
NAMES = [
    (r"encoder\.moduleConv([1-4])\.(.+)", r"encoder.conv\1.\2"),
    (r"encoder\.moduleBatchNorm\..+", None),
    (r"decoder\.moduleConv\.(.+)", r"decoder.conv.\1"),
    (r"decoder\.moduleUpsample([2-4])\.(.+)", r"decoder.up\1.\2"),
    (r"decoder\.moduleDeconv([23])\.(.+)", r"decoder.deconv\1.\2"),
    (r"decoder\.moduleDeconv1\.([0-5])\.(.+)", r"decoder.head.0.\1.\2"),
    (r"decoder\.moduleDeconv1\.6\.(.+)", r"decoder.head.1.\1"),
]


def import_checkpoint(folder: Path, model: MNAD) -> Imported:
    """The folder's `*.pth` (the pickled model) and, for a variant with memory, its `*.pt`
    (the items) -> our network with the official weights, and the items."""
    files = checkpoint_files(folder)
    model_file = one_file(files, MODEL_SUFFIXES, "pickled model (torch.save(model) in Train.py)", folder)
    pickled = load_official(model_file)
    if not hasattr(pickled, "official_name"):
        raise InputError(f"{model_file} holds a {type(pickled).__name__}, not a pickled MNAD model; MNAD's Train.py "
                         "saves the whole model (model.pth)")
    what = f"the MNAD {model.cfg.task} network {'with' if model.cfg.memory else 'without'} memory " \
           f"(file: {pickled.official_name})"
    load_matching(model, rename(module_tensors(pickled), NAMES), model_file, what)
    facts = {"format": "whole pickled model", "classes": classes_in(pickled),
             "files": {model_file.name: sha256(model_file)}}
    items = None
    if model.cfg.memory:
        items_file = one_file(files, ITEMS_SUFFIXES, "memory items file (keys.pt / m_items.pt)", folder)
        items = _items(items_file, model)
        facts["files"][items_file.name] = sha256(items_file)
    elif any(p.suffix.lower() in ITEMS_SUFFIXES for p in files):
        raise InputError(f"{folder} holds a memory items file, but models without memory have none: check the "
                         "variant this entry names")
    # the official test loop's memory update (Evaluate.py), read by our test pass from here
    return Imported(model, items, facts, train_config={"update_normalisation": "official"})


def _items(path: Path, model: MNAD) -> torch.Tensor:
    try:  # a bare tensor: the safe loader reads it (zip and legacy formats)
        items = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any failure is a bad file, named in one line
        refused = re.search(r"GLOBAL ([\w.]+)", str(err))   # torch's weights-only loader names what it refused
        reason = (f"it pickles {refused.group(1)}, which a file of memory items never holds; refused without loading "
                  "it" if refused else (str(err).strip().splitlines() or [type(err).__name__])[0])
        raise InputError(f"{path} is not a saved tensor of memory items: {reason}; replace it with keys.pt (or "
                         "m_items.pt) as downloaded") from None
    expected = (model.cfg.num_items, model.cfg.query_dim)
    if not isinstance(items, torch.Tensor) or tuple(items.shape) != expected:
        got = tuple(items.shape) if isinstance(items, torch.Tensor) else type(items).__name__
        raise InputError(f"{path}: memory items of shape {got}, expected {expected} (items x channels)")
    return items.float()
