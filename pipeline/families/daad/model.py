"""DAAD: Divide-and-Assemble anomaly detection (Hou et al., ICCV 2021; no official code).

Generator (Table 7): a UNet whose four encoder->decoder connections (three skips and the
bottleneck) each pass through a block-wise memory (sec. 3.1.2) placed right after the
level's max-pool; the memory output goes only to the decoder, the encoder continues from
the un-memorised map. Block-wise memory: the map (C, H, W) is divided into r_h x r_w x r_c
non-overlapping blocks, each flattened block is a query; a bank of N items of block size
is read with softmax-of-cosine weights (eq. 1-2), items weighted below 1/N are dropped
and the weights re-normalised; the blocks are assembled back in place. Items are learned
by backprop only. Discriminator (Table 8): DCGAN-style 4x4 stride-2 convolutions, a 4x4
stride-1 convolution to the feature f_D (100-d at 256 x 256) and a 3x3 conv + sigmoid.

Left open by the paper (choices here, listed in the report): the 1/N cut uses MemAE's
differentiable hard shrinkage (eq. 7 of MemAE) with L1 re-normalisation; items start
uniform in +-1/sqrt(dim) (MemAE's init); the output has a tanh (inputs are in [-1, 1]);
convolutions use padding 1 (3x3) / 1 (4x4 stride 2) / 0 (the 4x4 stride-1 feature conv).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.families.clip_ae.memory import hard_shrink_relu


@dataclass(frozen=True)
class DAADConfig:
    image_size: int = 256
    width: int = 64                      # first level's channels (Table 7: 64-128-256-512, 1024 in the middle)
    channels: int = 3
    rates: tuple[int, int, int] = (8, 8, 1)  # r_h, r_w, r_c (sec. 4.1: 8, 8, 1 on MVTec AD)
    num_items: int = 500                 # N per level
    memory_levels: tuple[int, ...] = (1, 2, 3, 4)  # which connections carry a memory (MemAE*: (4,))
    skips: bool = True                   # AE: no skips and no memory; AE+Skip: skips, no memory
    feature_dim: int = 100               # f_D

    @classmethod
    def from_dict(cls, values: dict) -> "DAADConfig":
        return cls(**{**values, "rates": tuple(values["rates"]), "memory_levels": tuple(values["memory_levels"])})

    def to_dict(self) -> dict:
        return asdict(self)


def divide(feature: torch.Tensor, rates: tuple[int, int, int]) -> torch.Tensor:
    """(B, C, H, W) -> (B, Q, D): Q = r_h r_w r_c blocks of D = (C/r_c)(H/r_h)(W/r_w) values."""
    b, c, h, w = feature.shape
    rh, rw, rc = rates
    if h % rh or w % rw or c % rc:
        raise ValueError(f"feature map {c}x{h}x{w} does not divide into {rc}x{rh}x{rw} blocks")
    blocks = feature.reshape(b, rc, c // rc, rh, h // rh, rw, w // rw)
    return blocks.permute(0, 1, 3, 5, 2, 4, 6).reshape(b, rc * rh * rw, -1)


def assemble(blocks: torch.Tensor, shape: torch.Size, rates: tuple[int, int, int]) -> torch.Tensor:
    """Inverse of divide: each block back to its grid position."""
    b, c, h, w = shape
    rh, rw, rc = rates
    grid = blocks.reshape(b, rc, rh, rw, c // rc, h // rh, w // rw)
    return grid.permute(0, 1, 4, 2, 5, 3, 6).reshape(b, c, h, w)


def read_blocks(queries: torch.Tensor, items: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 1-2 with the 1/N cut: (B, Q, D) queries, (N, D) items -> read blocks and weights."""
    similarity = F.normalize(queries, dim=-1) @ F.normalize(items, dim=-1).t()
    weights = F.softmax(similarity, dim=-1)
    weights = F.normalize(hard_shrink_relu(weights, 1.0 / items.shape[0]), p=1, dim=-1)
    return weights @ items, weights


class BlockMemory(nn.Module):
    """One level's bank. A rate above the map's side (r = 16 on a 4 x 4 map of a small CPU-size
    image) is capped at the side: blocks of one pixel, the finest division that exists."""

    def __init__(self, channels: int, size: int, rates: tuple[int, int, int], num_items: int):
        super().__init__()
        self.rates = (min(rates[0], size), min(rates[1], size), rates[2])
        rh, rw, rc = self.rates
        dim = (channels // rc) * (size // rh) * (size // rw)
        bound = 1.0 / math.sqrt(dim)
        self.items = nn.Parameter(torch.empty(num_items, dim).uniform_(-bound, bound))

    def forward(self, feature: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        read, weights = read_blocks(divide(feature, self.rates), self.items)
        return assemble(read, feature.shape, self.rates), weights


def _cbr(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class Generator(nn.Module):
    def __init__(self, cfg: DAADConfig):
        super().__init__()
        self.cfg = cfg
        w = [cfg.width * 2 ** i for i in range(5)]  # 64, 128, 256, 512, 1024 at paper size
        self.encoders = nn.ModuleList([nn.Sequential(*_cbr(cfg.channels if i == 0 else w[i - 1], w[i]), *_cbr(w[i], w[i]))
                                       for i in range(4)])
        self.memories = nn.ModuleDict({
            str(level): BlockMemory(w[level - 1], cfg.image_size // 2 ** level, cfg.rates, cfg.num_items)
            for level in cfg.memory_levels})
        self.middle = nn.Sequential(*_cbr(w[3], w[4]), *_cbr(w[4], w[4]))  # on m_4, H/16
        self.ups = nn.ModuleList([nn.ConvTranspose2d(w[i + 1], w[i], 2, 2) for i in range(4)])
        # decoders[i] at H/2^i (i = 1..3) reads [up(d), m_i]; decoders[0] is the head at H
        self.decoders = nn.ModuleList(
            [nn.Sequential(*_cbr(w[0], w[0]), *_cbr(w[0], w[0]), nn.Conv2d(w[0], cfg.channels, 1), nn.Tanh())] +
            [nn.Sequential(*_cbr(w[i] + (w[i - 1] if cfg.skips else 0), w[i]), *_cbr(w[i], w[i])) for i in (1, 2, 3)])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        """x (B, C, H, W) in [-1, 1] -> (reconstruction, addressing weights per memory level)."""
        links, weights, h = [], {}, x
        for level, encoder in enumerate(self.encoders, start=1):
            h = F.max_pool2d(encoder(h), 2)
            if str(level) in self.memories:
                m, weights[level] = self.memories[str(level)](h)
            else:
                m = h
            links.append(m)
        d = self.middle(links[3])
        for i in (3, 2, 1, 0):
            d = self.ups[i](d)
            if i > 0 and self.cfg.skips:
                d = torch.cat([d, links[i - 1]], dim=1)  # m_i, i.e. links[i - 1]
            d = self.decoders[i](d)
        return d, weights


class Discriminator(nn.Module):
    """Table 8, with as many stride-2 layers as take the image to 4 x 4 (six at 256)."""

    def __init__(self, cfg: DAADConfig):
        super().__init__()
        layers, cin = [], cfg.channels
        for i in range(int(math.log2(cfg.image_size // 4))):
            cout = cfg.width * 2 ** i
            layers += [nn.Conv2d(cin, cout, 4, 2, 1)] + ([nn.BatchNorm2d(cout)] if i > 0 else []) + [nn.LeakyReLU(0.2, inplace=True)]
            cin = cout
        layers.append(nn.Conv2d(cin, cfg.feature_dim, 4, 1, 0))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Conv2d(cfg.feature_dim, 1, 3, 1, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """-> (probability real (B,), feature f_D (B, feature_dim))."""
        f = self.features(x)
        return self.classifier(f).flatten(), f.flatten(1)


class DAAD(nn.Module):
    def __init__(self, cfg: DAADConfig):
        super().__init__()
        if cfg.image_size % 16 or cfg.image_size < 32:
            raise ValueError(f"DAAD image_size must be a multiple of 16 and at least 32, got {cfg.image_size}")
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)


def build(config: dict) -> DAAD:
    """The network a checkpoint's model_config describes."""
    return DAAD(DAADConfig.from_dict(config))
