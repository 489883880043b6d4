"""MemAE / LNTRA params -> configs: `models.<model>.train` / `.infer` and the profile's
`profiles.<p>.clip_ae` section (frame size, channel widths, batch, learning rate, epochs)."""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.engine.loop import LoopConfig, loop_config
from pipeline.families.clip_ae.model import MemAEConfig
from pipeline.families.clip_ae.pseudo_anomalies import PseudoAnomalyConfig
from pipeline.params import infer_settings, model_section, network_settings, per_dataset, pick, profile_section

FAMILY = "clip_ae"
ARCHITECTURE = ("memory", "num_items", "shrink_threshold", "addressing", "tanh_output", "init")


@dataclass(frozen=True)
class ClipTrainConfig:
    """MemAE sec. 4 (Adam 1e-4, entropy weight 0.0002); LNTRA sec. 4.1 pseudo anomalies."""
    lr: float = 1e-4
    entropy_weight: float = 0.0002
    pseudo_anomaly: PseudoAnomalyConfig = field(default_factory=PseudoAnomalyConfig)
    seed: int = 0


@dataclass(frozen=True)
class ClipInferConfig:
    batch_size: int = 16
    queries_per_clip: int = 4
    query_samples: int = 3000
    seed: int = 0


def model_config(params: dict, model: str, size: dict | None = None) -> MemAEConfig:
    """The variant's network at the profile's size, or at `size` (an imported checkpoint's:
    the official network's, pipeline.engine.released)."""
    network, size = network_settings(params, model, FAMILY, ARCHITECTURE, size)
    return MemAEConfig(image_size=size["image_size"], widths=tuple(size["widths"]), **network)


def train_configs(params: dict, dataset: str, model: str, seed: int) -> tuple[MemAEConfig, ClipTrainConfig, LoopConfig]:
    """LNTRA's patch movement beta is per dataset (10 px on Ped2, 25 elsewhere). A model may
    override the profile's batch size, learning rate and epochs for one profile
    (`by_profile.<profile>`): MemAE's and LNTRA's official scripts train differently."""
    section = {k: v for k, v in model_section(params, model)["train"].items() if k not in ARCHITECTURE}
    overrides = dict(section.pop("by_profile", {}).get(params["profile"], {}))
    pseudo = dict(section.pop("pseudo_anomaly", {"kind": "none"}))
    if "patch_beta" in pseudo:
        pseudo["patch_beta"] = per_dataset(pseudo["patch_beta"], dataset, f"models.{model}.train.pseudo_anomaly.patch_beta")
    if "skip_strides" in pseudo:
        pseudo["skip_strides"] = tuple(pseudo["skip_strides"])
    lr = overrides.pop("lr", profile_section(params, FAMILY)["train"]["lr"])
    values = dict(section, lr=lr, seed=seed,
                  pseudo_anomaly=pick(PseudoAnomalyConfig, pseudo, f"models.{model}.train.pseudo_anomaly"))
    return (model_config(params, model), pick(ClipTrainConfig, values, f"models.{model}.train"),
            loop_config(params, FAMILY, dataset, seed, overrides=overrides))


def infer_config(params: dict, model: str, seed: int) -> ClipInferConfig:
    return infer_settings(ClipInferConfig, params, model, seed=seed)
