"""MemAE's video network (Gong et al., ICCV 2019), and the same 3D-convolution autoencoder
without memory that LNTRA (Astrid et al., BMVC 2021) trains with pseudo anomalies.

Video setting (MemAE sec. 4.2; official code donggong1/memae-anomaly-detection):
    input    (B, 1, 16, H, W)     16 grayscale frames
    enc      Conv3d 1->96 stride (1,2,2); 96->128, 128->256, 256->256 stride 2;
             each BN + LeakyReLU(0.2)
    latent   (B, 256, 2, H/16, W/16); the memory (pipeline.families.clip_ae.memory)
             addresses every latent position: N=2000 items of 256
    dec      mirrored transposed convolutions; last layer without BN/activation
             (LNTRA adds tanh, sec. 4.1)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from pipeline.families.clip_ae.memory import ADDRESSING, MemoryUnit

INITS = ("official", "pytorch")


def official_init(module: nn.Module) -> None:
    """MemAE's utils.weights_init, by class name as there: every Conv* (3D and transposed
    too) weight ~ N(0, 0.02), BatchNorm weight ~ N(1, 0.02) and bias 0; the memory items
    keep their uniform(+-1/sqrt(C)) start."""
    name = type(module).__name__
    if "Conv" in name:
        module.weight.data.normal_(0.0, 0.02)
    elif "BatchNorm" in name:
        module.weight.data.normal_(1.0, 0.02)
        module.bias.data.fill_(0)


@dataclass(frozen=True)
class MemAEConfig:
    memory: bool = True
    num_items: int = 2000
    shrink_threshold: float = 0.0025  # eq. 7 lambda; paper: in [1/N, 3/N]; 0 switches shrinkage off
    addressing: str = "dot"
    widths: tuple[int, int, int, int] = (96, 128, 256, 256)
    channels: int = 1
    frames: int = 16
    tanh_output: bool = False  # LNTRA
    image_size: int = 256      # frames are resized to image_size x image_size
    # "official": MemAE's script_training.py applies utils.weights_init (conv weights
    # N(0, 0.02), BatchNorm weights N(1, 0.02) and biases 0); "pytorch": the layer defaults
    # (LNTRA's train.py applies none).
    init: str = "official"

    def __post_init__(self):
        if self.addressing not in ADDRESSING:
            raise ValueError(f"addressing must be one of {ADDRESSING}, got {self.addressing!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")

    @classmethod
    def from_dict(cls, values: dict) -> "MemAEConfig":
        return cls(**{**values, "widths": tuple(values["widths"])})

    def to_dict(self) -> dict:
        return asdict(self)


def _down(cin: int, cout: int, stride) -> list[nn.Module]:
    return [nn.Conv3d(cin, cout, 3, stride, 1), nn.BatchNorm3d(cout), nn.LeakyReLU(0.2, inplace=True)]


def _up(cin: int, cout: int, stride, output_padding) -> list[nn.Module]:
    return [nn.ConvTranspose3d(cin, cout, 3, stride, 1, output_padding=output_padding), nn.BatchNorm3d(cout),
            nn.LeakyReLU(0.2, inplace=True)]


class MemAE(nn.Module):
    def __init__(self, cfg: MemAEConfig):
        super().__init__()
        self.cfg = cfg
        w1, w2, w3, w4 = cfg.widths
        self.encoder = nn.Sequential(*_down(cfg.channels, w1, (1, 2, 2)), *_down(w1, w2, 2), *_down(w2, w3, 2),
                                     *_down(w3, w4, 2))
        self.memory = MemoryUnit(cfg.num_items, w4, cfg.shrink_threshold, cfg.addressing) if cfg.memory else None
        self.decoder = nn.Sequential(*_up(w4, w3, 2, 1), *_up(w3, w2, 2, 1), *_up(w2, w1, 2, 1),
                                     nn.ConvTranspose3d(w1, cfg.channels, 3, (1, 2, 2), 1, output_padding=(0, 1, 1)),
                                     *([nn.Tanh()] if cfg.tanh_output else []))
        if cfg.init == "official":
            self.apply(official_init)

    def forward(self, x: torch.Tensor, return_latent: bool = False):
        """x (B, 1, T, H, W) -> (reconstruction, addressing weights or None[, encoder output])."""
        z = self.encoder(x)
        read, weights = self.memory(z) if self.memory is not None else (z, None)
        output = self.decoder(read)
        return (output, weights, z) if return_latent else (output, weights)


def build(config: dict) -> MemAE:
    """The network a checkpoint's model_config describes."""
    return MemAE(MemAEConfig.from_dict(config))
