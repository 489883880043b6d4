"""MemAE's image network (Gong et al., ICCV 2019, sec. 4.1, Table 1): the MNIST model, 2D
convolutions with MemAE's memory (pipeline.families.clip_ae.memory) at every latent position."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from pipeline.families.clip_ae.memory import MemoryUnit


@dataclass(frozen=True)
class ImageMemAEConfig:
    """MemAE's image model (sec. 4.1, MNIST): Conv2(3, 2, 32)-Conv2(3, 2, 16)-Conv2(3, 3, 8),
    mirrored Dconv2 decoder, BN + LeakyReLU after all but the last layer, N = 100 items
    addressed at every latent position (official MemModule). Decoder output sizes follow
    the encoder's, so any input size works (8 x 8 digits: 8 -> 4 -> 2 -> 1)."""
    image_size: int = 28
    memory: bool = True
    num_items: int = 100
    shrink_threshold: float = 0.0025
    addressing: str = "dot"
    widths: tuple[int, int, int] = (32, 16, 8)
    strides: tuple[int, int, int] = (2, 2, 3)
    channels: int = 1

    @classmethod
    def from_dict(cls, values: dict) -> "ImageMemAEConfig":
        return cls(**{**values, "widths": tuple(values["widths"]), "strides": tuple(values["strides"])})

    def to_dict(self) -> dict:
        return asdict(self)


class ImageMemAE(nn.Module):
    def __init__(self, cfg: ImageMemAEConfig):
        super().__init__()
        self.cfg = cfg
        widths, cin = cfg.widths, cfg.channels
        self.encoder = nn.ModuleList()
        for width, stride in zip(widths, cfg.strides):
            self.encoder.append(nn.Sequential(nn.Conv2d(cin, width, 3, stride, 1), nn.BatchNorm2d(width),
                                              nn.LeakyReLU(0.2, inplace=True)))
            cin = width
        self.memory = MemoryUnit(cfg.num_items, widths[-1], cfg.shrink_threshold, cfg.addressing) if cfg.memory else None
        outs = [*reversed(widths[:-1]), cfg.channels]
        self.decoder = nn.ModuleList([nn.ConvTranspose2d(w_in, w_out, 3, s, 1)
                                      for w_in, w_out, s in zip(reversed(widths), outs, reversed(cfg.strides))])
        self.norms = nn.ModuleList([nn.Sequential(nn.BatchNorm2d(w), nn.LeakyReLU(0.2, inplace=True)) for w in outs[:-1]])

    def forward(self, x: torch.Tensor, return_latent: bool = False):
        """x (B, C, H, W) -> (reconstruction, addressing weights or None[, latent])."""
        sizes, h = [], x
        for layer in self.encoder:
            sizes.append(h.shape[-2:])
            h = layer(h)
        z = h
        if self.memory is not None:
            read, weights = self.memory(z[:, :, None])  # a 2D map is a clip of one frame
            h = read[:, :, 0]
        else:
            weights = None
        for i, (layer, size) in enumerate(zip(self.decoder, reversed(sizes))):
            h = layer(h, output_size=size)
            if i < len(self.norms):
                h = self.norms[i](h)
        return (h, weights, z) if return_latent else (h, weights)


def build(config: dict) -> ImageMemAE:
    """The network a checkpoint's model_config describes."""
    return ImageMemAE(ImageMemAEConfig.from_dict(config))
