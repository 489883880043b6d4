"""MemAE image-track params -> configs: `models.<model>.train` / `.infer` and the profile's
`profiles.<p>.image_ae` section (image size, batch, learning rate, epochs)."""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.engine.loop import LoopConfig, loop_config
from pipeline.families.image_ae.model import ImageMemAEConfig
from pipeline.params import infer_settings, model_section, network_settings, pick, profile_section

FAMILY = "image_ae"
ARCHITECTURE = ("memory", "num_items", "shrink_threshold", "addressing")


@dataclass(frozen=True)
class ImageTrainConfig:
    """As the video model: MSE + 0.0002 * entropy (eq. 10), Adam."""
    lr: float = 1e-4
    entropy_weight: float = 0.0002
    seed: int = 0


@dataclass(frozen=True)
class ImageInferConfig:
    batch_size: int = 256


def model_config(params: dict, model: str) -> ImageMemAEConfig:
    network, size = network_settings(params, model, FAMILY, ARCHITECTURE)
    return ImageMemAEConfig(image_size=size["image_size"], **network)


def train_configs(params: dict, dataset: str, model: str, seed: int
                  ) -> tuple[ImageMemAEConfig, ImageTrainConfig, LoopConfig]:
    section = {k: v for k, v in model_section(params, model)["train"].items() if k not in ARCHITECTURE}
    values = dict(section, lr=profile_section(params, FAMILY)["train"]["lr"], seed=seed)
    return (model_config(params, model), pick(ImageTrainConfig, values, f"models.{model}.train"),
            loop_config(params, FAMILY, dataset, seed))


def infer_config(params: dict, model: str, seed: int) -> ImageInferConfig:
    return infer_settings(ImageInferConfig, params, model)
