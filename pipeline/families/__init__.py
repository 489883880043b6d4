"""The family registry. A family is one folder with the same few modules:

    spec.py    how its inference outputs become an abnormality score and which protocol it
               follows (no torch: the score stage imports only this)
    config.py  its params sections -> typed configs
    model.py   the networks, and `build(config_dict)` to rebuild one from a checkpoint
    train.py   `recipe(params, dataset, model, seed)`: what the engine's epoch loop runs
    infer.py   `scorer(...)`: what the engine's per-video test loop runs
    released.py (mnad, clip_ae) `import_checkpoint(folder, model)`: the official code's
               checkpoints mapped onto our network (pipeline.engine.released)

Families: mnad (MNAD and the reproducibility report's variants), clip_ae (MemAE and LNTRA:
3D-conv autoencoders on 16-frame clips), daad (DAAD, block-wise memories + discriminator),
image_ae (MemAE's one-class image track). Each model in params.yaml names its family
(`models.<model>.family`); the model lists and the family each belongs to are one table
(pipeline.families.lists). Stages, the engine, evaluation and the plan ask this module for
a family's code and never branch on a family's name.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from pipeline.io import InputError
from pipeline.params import model_section

from pipeline.families.lists import FAMILIES, MODEL_LISTS, RELEASED_FAMILIES as RELEASED  # noqa: F401 (RELEASED: stages)

PARTS = ("spec", "config", "model", "train", "infer", "released")


def load(family: str, part: str) -> ModuleType:
    """The module `part` of a family's folder (imported only when asked for)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}")
    if part not in PARTS:
        raise ValueError(f"a family has no part {part!r}; parts: {', '.join(PARTS)}")
    return importlib.import_module(f"{__name__}.{family}.{part}")


def family_of(params: dict, model: str) -> str:
    family = model_section(params, model).get("family")
    if family not in FAMILIES:
        raise InputError(f"params.yaml: models.{model}.family is {family!r}; use one of {', '.join(FAMILIES)}.")
    return family


def check_family(params: dict, model: str, family: str) -> None:
    """A stage group runs one family: a model listed in another family's list stops here."""
    actual = family_of(params, model)
    if actual != family:
        raise InputError(f"params.yaml: model '{model}' is a {actual} model (models.{model}.family) but is listed "
                         f"with the {family} models; move it to the list of {actual} models.")


def lists_for(params: dict, model: str) -> tuple[str, ...]:
    """The model lists (pipeline.families.lists.MODEL_LISTS) a model may sit in: its family's,
    and of MNAD's those matching whether it has a memory."""
    family = family_of(params, model)
    rows = [row for row in MODEL_LISTS if row.family == family]
    if any(row.memory is not None for row in rows):
        memory = bool(model_section(params, model)["train"]["memory"])
        rows = [row for row in rows if row.memory in (None, memory)]
    return tuple(row.name for row in rows)


def check_listing(params: dict, model: str, family: str, model_list: str) -> None:
    """The model sits in a model list (`model_list`, a params.yaml key) whose stages read the
    params its family reads for it: MNAD's variants with memory belong in memory_models,
    whose blocks also read `supervision` and `lambda`."""
    check_family(params, model, family)
    allowed = lists_for(params, model)
    if model_list not in allowed:
        raise InputError(f"params.yaml: model '{model}' is listed in {model_list} but belongs in "
                         f"{' or '.join(allowed)}; move it there.")
