"""params.yaml -> typed configs. Each builder reads only the keys that the matching
DVC stage lists in dvc.yaml, so cache invalidation stays exact."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pipeline.io import InputError

if TYPE_CHECKING:  # configs are imported where used (see mnad_config)
    from pipeline.clip_inference import ClipInferConfig
    from pipeline.clip_training import ClipTrainConfig
    from pipeline.daad_training import DAADInferConfig, DAADTrainConfig
    from pipeline.image_training import ImageInferConfig, ImageTrainConfig
    from pipeline.inference import InferConfig
    from pipeline.models.daad import DAADConfig
    from pipeline.models.memae import ImageMemAEConfig, MemAEConfig
    from pipeline.models.mnad import MNADConfig
    from pipeline.training import TrainConfig

PARAMS_FILE = Path("params.yaml")


def load_params(path: str | Path = PARAMS_FILE) -> dict:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} not found: run stages from the repository root.")
    return yaml.safe_load(path.read_text())


def seeds(params: dict) -> list[int]:
    values = params["seeds"]
    if not isinstance(values, list) or not values or not all(isinstance(v, int) for v in values):
        raise InputError(f"params.yaml: seeds must be a non-empty list of integers, got {values!r}")
    return values


def _pick(cls, values: dict[str, Any], where: str):
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


def is_memory_model(params: dict, model: str) -> bool:
    return bool(model_section(params, model)["train"].get("memory", False))


FAMILIES = ("mnad", "clip_ae", "daad", "image_ae")


def model_family(params: dict, model: str) -> str:
    """models.<model>.train.family: mnad (default), clip_ae (MemAE, LNTRA) or daad."""
    family = model_section(params, model)["train"].get("family", "mnad")
    if family not in FAMILIES:
        raise InputError(f"params.yaml: models.{model}.train.family is {family!r}; use one of {FAMILIES}.")
    return family


def stage_group(params: dict, model: str) -> str:
    """The dvc.yaml stage group (and model list) a model belongs to: each group lists the
    params its family reads, so a model in the wrong list would be cached wrongly."""
    family = model_family(params, model)
    if family == "mnad":
        return "memory" if is_memory_model(params, model) else "plain"
    return {"clip_ae": "clip", "daad": "daad", "image_ae": "oneclass"}[family]


GROUP_FAMILY = {"plain": "mnad", "memory": "mnad", "clip": "clip_ae", "daad": "daad", "oneclass": "image_ae"}
GROUP_LISTS = {"plain": "plain_models", "memory": "memory_models", "clip": "clip_models", "daad": "daad_models",
               "oneclass": "oneclass_models"}


def check_group(params: dict, model: str, group: str) -> None:
    expected = stage_group(params, model)
    if expected != group:
        raise InputError(f"params.yaml: model '{model}' is listed in {GROUP_LISTS[group]} but its models.{model}.train "
                         f"settings make it a member of {GROUP_LISTS[expected]}; move it there.")


def profile(params: dict) -> dict:
    name = params["profile"]
    if name not in params["profiles"]:
        raise InputError(f"params.yaml: profile '{name}' is not one of {sorted(params['profiles'])}.")
    return params["profiles"][name]


# Model configs are imported where used: score and report stages then load no torch, and no
# family's stage depends on another family's code.
def mnad_config(params: dict, model: str) -> MNADConfig:
    from pipeline.models.mnad import MNADConfig
    arch = {k: v for k, v in model_section(params, model)["train"].items() if k in ("task", "memory", "skip", "num_items")}
    return MNADConfig(**arch, **profile(params)["model"])


def per_dataset(value, dataset: str, where: str):
    """A setting that differs by dataset is a mapping {<dataset>: value, default: value}."""
    if not isinstance(value, dict):
        return value
    if dataset not in value and "default" not in value:
        raise InputError(f"params.yaml {where}: no entry for dataset '{dataset}' and no 'default'.")
    return value.get(dataset, value.get("default"))


def _epochs(params: dict, section: dict, dataset: str, where: str) -> int:
    epochs = section["epochs"].get(dataset)
    if epochs is None:
        raise InputError(f"params.yaml: profiles.{params['profile']}.{where}epochs has no entry for dataset '{dataset}'.")
    return epochs


def train_config(params: dict, dataset: str, model: str, with_supervision: bool, seed: int = 0) -> TrainConfig:
    """MNAD sec. 4.1 hyper-parameters: learning rate by task from the profile (the paper
    profile uses 2e-4 prediction / 2e-5 reconstruction), loss weights from the model."""
    from pipeline.training import TrainConfig
    prof, section = profile(params), dict(model_section(params, model)["train"])
    task = section.pop("task")
    for arch_key in ("memory", "skip", "num_items"):
        section.pop(arch_key, None)
    epochs = _epochs(params, prof, dataset, "")
    values = dict(section, lr=prof["train"]["lr"][task], epochs=epochs, batch_size=prof["train"]["batch_size"],
                  checkpoint_every=prof["train"]["checkpoint_every"], seed=seed,
                  **{k: params["train"][k] for k in ("num_workers", "bf16", "channels_last", "compile", "sync_batchnorm")})
    if with_supervision:
        # A variant may switch supervision on for itself (report Table 8's supervised
        # twins); the global flag switches it on for every memory variant.
        values.update(supervision=bool(params["supervision"]) or bool(section.get("supervision", False)),
                      supervision_weight=params["memory_supervision"]["weight"],
                      supervision_target=params["memory_supervision"]["target"])
    return _pick(TrainConfig, values, f"models.{model}.train")


def infer_config(params: dict, model: str, update_normalisation: str, seed: int = 0) -> InferConfig:
    from pipeline.inference import InferConfig
    section = dict(model_section(params, model)["infer"])
    section.pop("checkpoint", None)
    return _pick(InferConfig, dict(section, update_normalisation=update_normalisation, seed=seed),
                 f"models.{model}.infer")


# --- 3D-convolution clip autoencoders (MemAE, LNTRA): params `profiles.<p>.clip`, `models.<m>` --
CLIP_ARCH_KEYS = ("memory", "num_items", "shrink_threshold", "addressing", "tanh_output")


def clip_model_config(params: dict, model: str) -> MemAEConfig:
    from pipeline.models.memae import MemAEConfig
    section = model_section(params, model)["train"]
    return MemAEConfig(widths=tuple(profile(params)["clip"]["widths"]),
                       **{k: section[k] for k in CLIP_ARCH_KEYS if k in section})


def clip_image_size(params: dict) -> int:
    return int(profile(params)["clip"]["image_size"])


def clip_train_config(params: dict, dataset: str, model: str, seed: int = 0) -> ClipTrainConfig:
    """MemAE sec. 4 (Adam 1e-4, entropy weight 0.0002); LNTRA sec. 4.1 pseudo anomalies, whose
    patch movement beta is per dataset (10 px on Ped2, 25 elsewhere)."""
    from pipeline.clip_training import ClipTrainConfig
    from pipeline.pseudo_anomalies import PseudoAnomalyConfig
    clip, section = profile(params)["clip"], dict(model_section(params, model)["train"])
    for key in ("family", "task", *CLIP_ARCH_KEYS):
        section.pop(key, None)
    pseudo = dict(section.pop("pseudo_anomaly", {"kind": "none"}))
    if "patch_beta" in pseudo:
        pseudo["patch_beta"] = per_dataset(pseudo["patch_beta"], dataset, f"models.{model}.train.pseudo_anomaly.patch_beta")
    if "skip_strides" in pseudo:
        pseudo["skip_strides"] = tuple(pseudo["skip_strides"])
    values = dict(section, lr=clip["lr"], epochs=_epochs(params, clip, dataset, "clip."), batch_size=clip["batch_size"],
                  checkpoint_every=clip["checkpoint_every"], seed=seed, num_workers=params["train"]["num_workers"],
                  pseudo_anomaly=_pick(PseudoAnomalyConfig, pseudo, f"models.{model}.train.pseudo_anomaly"))
    return _pick(ClipTrainConfig, values, f"models.{model}.train")


def clip_infer_config(params: dict, model: str, seed: int = 0) -> ClipInferConfig:
    from pipeline.clip_inference import ClipInferConfig
    section = dict(model_section(params, model)["infer"])
    section.pop("checkpoint", None)
    return _pick(ClipInferConfig, dict(section, seed=seed), f"models.{model}.infer")


def score_terms(params: dict, model: str) -> dict[str, float]:
    """models.<model>.score.terms: signal -> weight (see pipeline.scoring.weighted_score)."""
    terms = model_section(params, model)["score"].get("terms")
    if not isinstance(terms, dict) or not terms:
        raise InputError(f"params.yaml: models.{model}.score.terms must map inferred signals to weights, e.g. "
                         "{recon_error: 1.0}.")
    return {str(k): float(v) for k, v in terms.items()}


# --- DAAD: params `profiles.<p>.daad`, `models.<m>` ------------------------------------------
DAAD_ARCH_KEYS = ("rates", "num_items", "memory_levels", "skips")


def daad_model_config(params: dict, dataset: str, model: str) -> DAADConfig:
    """Sec. 4.1: r = (8, 8, 1), N = 500 on MVTec AD; appendix: r = (16, 16, 1), N = 2000 on video."""
    from pipeline.models.daad import DAADConfig
    prof, section = profile(params)["daad"], model_section(params, model)["train"]
    arch = {k: per_dataset(section[k], dataset, f"models.{model}.train.{k}") for k in DAAD_ARCH_KEYS if k in section}
    if "num_items" in prof:  # a size profile may fix N (the CPU profile trims it)
        arch["num_items"] = prof["num_items"]
    for key in ("rates", "memory_levels"):
        if key in arch:
            arch[key] = tuple(arch[key])
    return DAADConfig(image_size=prof["image_size"], width=prof["width"], **arch)


def daad_train_config(params: dict, dataset: str, model: str, seed: int = 0) -> DAADTrainConfig:
    from pipeline.daad_training import DAADTrainConfig
    prof, section = profile(params)["daad"], dict(model_section(params, model)["train"])
    for key in ("family", "task", "memory", *DAAD_ARCH_KEYS):
        section.pop(key, None)
    section = {k: per_dataset(v, dataset, f"models.{model}.train.{k}") for k in section for v in [section[k]]}
    section["lr"] = section.get("lr", DAADTrainConfig.lr) * prof.get("lr_scale", 1)
    values = dict(section, epochs=_epochs(params, prof, dataset, "daad."), batch_size=prof["batch_size"],
                  checkpoint_every=prof["checkpoint_every"], seed=seed, num_workers=params["train"]["num_workers"])
    return _pick(DAADTrainConfig, values, f"models.{model}.train")


def daad_infer_config(params: dict, model: str, seed: int = 0) -> DAADInferConfig:
    from pipeline.daad_training import DAADInferConfig
    section = dict(model_section(params, model)["infer"])
    section.pop("checkpoint", None)
    return _pick(DAADInferConfig, dict(section, seed=seed), f"models.{model}.infer")


# --- MemAE image track: params `profiles.<p>.oneclass`, `models.<m>` ---------------------------
def image_model_config(params: dict, model: str) -> ImageMemAEConfig:
    from pipeline.models.memae import ImageMemAEConfig
    section = model_section(params, model)["train"]
    return ImageMemAEConfig(image_size=profile(params)["oneclass"]["image_size"],
                            **{k: section[k] for k in ("memory", "num_items", "shrink_threshold", "addressing") if k in section})


def image_train_config(params: dict, dataset: str, model: str, seed: int = 0) -> ImageTrainConfig:
    from pipeline.image_training import ImageTrainConfig
    prof, section = profile(params)["oneclass"], dict(model_section(params, model)["train"])
    for key in ("family", "task", "memory", "num_items", "shrink_threshold", "addressing"):
        section.pop(key, None)
    values = dict(section, lr=prof["lr"], epochs=_epochs(params, prof, dataset, "oneclass."), batch_size=prof["batch_size"],
                  checkpoint_every=prof["checkpoint_every"], seed=seed, num_workers=params["train"]["num_workers"])
    return _pick(ImageTrainConfig, values, f"models.{model}.train")


def image_infer_config(params: dict, model: str) -> ImageInferConfig:
    from pipeline.image_training import ImageInferConfig
    section = dict(model_section(params, model)["infer"])
    section.pop("checkpoint", None)
    return _pick(ImageInferConfig, section, f"models.{model}.infer")
