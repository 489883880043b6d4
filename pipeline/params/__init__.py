"""params.yaml access shared by every stage: loading, the lookups every family needs, and
dataclass construction that names unknown keys. Family-specific sections are read by each
family's own config module (pipeline.families.<family>.config). Each stage reads its
params in one function, `settings(params, args)`, so tests can check that what it reads is
exactly what its stage block in the DAG (dvc.yaml, dag/*/dvc.yaml) lists for it."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from pipeline.io import InputError

PARAMS_FILE = Path("params.yaml")
# Keys a stage reads that never change its outputs, each shown by the test named: no stage
# lists them, so changing one leaves every cached result valid (tests/test_dvc_deps.py).
RESULT_NEUTRAL = {
    "runtime.num_workers": "tests/test_training.py::test_loader_workers_leave_the_trained_bytes_unchanged",
}


def load_params(path: str | Path = PARAMS_FILE) -> dict:
    """params.yaml, checked against its schema (pipeline.params.schema) before any stage reads it."""
    from pipeline.params.schema import check

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} not found: run stages from the repository root.")
    try:
        params = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise InputError(f"{path} is not valid YAML: {str(err).splitlines()[0]}") from err
    problem = check(params) if isinstance(params, dict) else "the file must hold a mapping of keys"
    if problem:
        raise InputError(f"{path}: {problem}")
    return params


def seeds(params: dict) -> list[int]:
    values = params["seeds"]
    if not isinstance(values, list) or not values or not all(isinstance(v, int) for v in values):
        raise InputError(f"params.yaml: seeds must be a non-empty list of integers, got {values!r}")
    return values


def pick(cls, values: dict[str, Any], where: str):
    """cls(**values), with unknown keys named as a params.yaml error."""
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise InputError(f"params.yaml {where}: unknown keys {sorted(unknown)} (known: {sorted(known)})")
    return cls(**values)


def model_section(params: dict, model: str) -> dict:
    try:
        return params["models"][model]
    except KeyError:
        raise InputError(f"params.yaml: no section models.{model}; add it or remove '{model}' from the model lists.")


def infer_settings(cls, params: dict, model: str, **fixed):
    """models.<model>.infer as a family's inference config: every key but `checkpoint`
    (which checkpoint to score: the infer stage reads it itself), plus `fixed` values."""
    section = {k: v for k, v in model_section(params, model)["infer"].items() if k != "checkpoint"}
    return pick(cls, dict(section, **fixed), f"models.{model}.infer")


def profile_section(params: dict, family: str) -> dict:
    """profiles.<profile>.<family>: the size profile's settings for one family."""
    name = params["profile"]
    if name not in params["profiles"]:
        raise InputError(f"params.yaml: profile '{name}' is not one of {sorted(params['profiles'])}.")
    section = params["profiles"][name].get(family)
    if section is None:
        raise InputError(f"params.yaml: profiles.{name} has no section for the {family} family.")
    return section


def network_settings(params: dict, model: str, family: str, keys: tuple[str, ...], size: dict | None = None
                     ) -> tuple[dict, dict]:
    """(the network's keys of models.<model>.train, its size: the profile's
    profiles.<p>.<family>.model, or `size`, an imported checkpoint's)."""
    section = model_section(params, model)["train"]
    return ({k: v for k, v in section.items() if k in keys},
            profile_section(params, family)["model"] if size is None else size)


def epochs(params: dict, family: str, dataset: str) -> int:
    value = profile_section(params, family)["epochs"].get(dataset)
    if value is None:
        raise InputError(f"params.yaml: profiles.{params['profile']}.{family}.epochs has no entry for dataset "
                         f"'{dataset}'.")
    return value


def per_dataset(value, dataset: str, where: str):
    """A setting that differs by dataset is a mapping {<dataset>: value, default: value}."""
    if not isinstance(value, dict):
        return value
    if dataset not in value and "default" not in value:
        raise InputError(f"params.yaml {where}: no entry for dataset '{dataset}' and no 'default'.")
    return value.get(dataset, value.get("default"))
