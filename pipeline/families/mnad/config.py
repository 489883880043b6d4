"""MNAD's params -> configs. Reads `models.<model>.train` / `.infer`, the profile's
`profiles.<p>.mnad` section (network size, batch, learning rate by task, epochs) and, for
variants with memory only, the global `supervision` and `memory_supervision` switches."""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.engine.loop import LoopConfig, loop_config
from pipeline.families.mnad.model import MNADConfig
from pipeline.params import infer_settings, model_section, network_settings, pick, profile_section

FAMILY = "mnad"
# The official loader reads every frame with cv2.imread, whose arrays are BGR (MNAD
# model/utils.py np_load_frame; the report's MNADrc the same): the released weights were
# trained and evaluated on BGR frames, and the models retrained here see the same order, so
# released and retrained rows compare like with like. Prepared frames are stored RGB.
CHANNELS = "bgr"
ARCHITECTURE = ("task", "memory", "skip", "num_items", "input_frames", "decoder", "normalise_query")


@dataclass(frozen=True)
class TrainConfig:
    """Losses and optimiser (MNAD sec. 3.2, 4.1; report sec. 5)."""
    lr: float = 2e-4
    epochs: int = 60              # cosine annealing's T_max
    lambda_c: float = 0.1
    lambda_s: float = 0.1
    compactness: bool = True
    separateness: bool = True
    separateness_margin: float = 1.0
    supervision: bool = False
    supervision_weight: float = 1.0
    supervision_target: str = "interleaved"
    update_normalisation: str = "official"
    noise_amount: float = 0.0     # salt-and-pepper on the input frames (report sec. 5 denoiser)
    noise_scaling: str = "report"  # see pipeline.families.mnad.train.scale_noisy
    seed: int = 0


@dataclass(frozen=True)
class InferConfig:
    test_time_update: bool = True
    gamma: float = 0.01
    update_normalisation: str = "official"
    batch_size: int = 32
    queries_per_frame: int = 8    # kept per frame for t-SNE (paper-size frames have 1024)
    query_samples: int = 3000
    seed: int = 0


def model_config(params: dict, model: str, size: dict | None = None) -> MNADConfig:
    """The variant's network at the profile's size, or at `size` (an imported checkpoint's:
    the official network's, pipeline.engine.released)."""
    network, size = network_settings(params, model, FAMILY, ARCHITECTURE, size)
    return MNADConfig(**network, **size)


def train_configs(params: dict, dataset: str, model: str, seed: int) -> tuple[MNADConfig, TrainConfig, LoopConfig]:
    """Learning rate by task from the profile (the paper profile: 2e-4 prediction, 2e-5
    reconstruction), loss weights from the model."""
    section = {k: v for k, v in model_section(params, model)["train"].items() if k not in ARCHITECTURE}
    arch = model_config(params, model)
    loop = loop_config(params, FAMILY, dataset, seed)
    values = dict(section, lr=profile_section(params, FAMILY)["train"]["lr"][arch.task], epochs=loop.epochs, seed=seed)
    if arch.memory:
        # A variant may switch supervision on for itself (report Table 8's supervised twins);
        # the global flag switches it on for every memory variant. With it, the report's code
        # (MNADrc Train_Pred_mem_dist.py) also scales both feature losses by 0.01.
        supervised = bool(params["supervision"]) or bool(section.get("supervision", False))
        how = params["memory_supervision"]
        scale = how["feature_loss_scale"] if supervised else 1.0
        values.update(supervision=supervised, supervision_weight=how["weight"], supervision_target=how["target"],
                      lambda_c=section.get("lambda_c", TrainConfig.lambda_c) * scale,
                      lambda_s=section.get("lambda_s", TrainConfig.lambda_s) * scale)
    return arch, pick(TrainConfig, values, f"models.{model}.train"), loop


def infer_config(params: dict, model: str, update_normalisation: str, seed: int) -> InferConfig:
    return infer_settings(InferConfig, params, model, update_normalisation=update_normalisation, seed=seed)
