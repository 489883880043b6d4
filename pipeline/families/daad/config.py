"""DAAD params -> configs: `models.<model>.train` (settings that differ by dataset are
{<dataset>: value, default: value}: sec. 4.1 for MVTec AD, the appendix for video) /
`.infer`, and the profile's `profiles.<p>.daad` section (image size, width, N on the CPU
profile, learning-rate scale, batch, epochs)."""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.engine.loop import SPEED_SWITCHES as ALL_SWITCHES, LoopConfig, loop_config
from pipeline.families.daad.model import DAADConfig
from pipeline.params import infer_settings, model_section, per_dataset, pick, profile_section

FAMILY = "daad"
# bf16 is left out: DAAD+'s GAN loss is binary cross-entropy on probabilities, which
# torch.autocast refuses (not autocast-safe).
SPEED_SWITCHES = tuple(switch for switch in ALL_SWITCHES if switch != "bf16")
ARCHITECTURE = ("rates", "num_items", "memory_levels", "skips")


@dataclass(frozen=True)
class DAADTrainConfig:
    """Sec. 4.1: Adam (0.9, 0.999), lr 1e-4 (2e-4 with the adversarial terms), loss
    50 L_rec + 0.5 L_adv + 0.5 L_ali (eq. 6), flips on MVTec AD."""
    lr: float = 1e-4
    adversarial: bool = False       # DAAD+ (L_adv and L_ali)
    weight_rec: float = 50.0
    weight_adv: float = 0.5
    weight_ali: float = 0.5
    flips: bool = False
    seed: int = 0


@dataclass(frozen=True)
class DAADInferConfig:
    batch_size: int = 32
    seed: int = 0


def model_config(params: dict, dataset: str, model: str) -> DAADConfig:
    """Sec. 4.1: r = (8, 8, 1), N = 500 on MVTec AD; appendix: r = (16, 16, 1), N = 2000 on video."""
    size, section = profile_section(params, FAMILY)["model"], model_section(params, model)["train"]
    arch = {k: per_dataset(v, dataset, f"models.{model}.train.{k}") for k, v in section.items() if k in ARCHITECTURE}
    arch.update({k: v for k, v in size.items() if k == "num_items"})  # a size profile may fix N (the CPU one trims it)
    for key in ("rates", "memory_levels"):
        if key in arch:
            arch[key] = tuple(arch[key])
    if "rates" in arch:  # a smaller image keeps the paper's block sizes with proportionally lower rates
        scale = size.get("rate_scale", 1)
        r_h, r_w, r_c = arch["rates"]
        arch["rates"] = (max(1, round(r_h * scale)), max(1, round(r_w * scale)), r_c)
    return DAADConfig(image_size=size["image_size"], width=size["width"], **arch)


def train_configs(params: dict, dataset: str, model: str, seed: int) -> tuple[DAADConfig, DAADTrainConfig, LoopConfig]:
    section = {k: per_dataset(v, dataset, f"models.{model}.train.{k}")
               for k, v in model_section(params, model)["train"].items() if k not in (*ARCHITECTURE, "memory")}
    section["lr"] = section.get("lr", DAADTrainConfig.lr) * profile_section(params, FAMILY)["train"].get("lr_scale", 1)
    return (model_config(params, dataset, model), pick(DAADTrainConfig, dict(section, seed=seed), f"models.{model}.train"),
            loop_config(params, FAMILY, dataset, seed, SPEED_SWITCHES))


def infer_config(params: dict, model: str, seed: int) -> DAADInferConfig:
    return infer_settings(DAADInferConfig, params, model, seed=seed)
