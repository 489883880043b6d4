"""MemAE (Gong et al., ICCV 2019) for video, and the same 3D-convolution autoencoder without
memory that LNTRA (Astrid et al., BMVC 2021) trains with pseudo anomalies.

Video setting (MemAE sec. 4.2; official code donggong1/memae-anomaly-detection):
    input    (B, 1, 16, H, W)     16 grayscale frames
    enc      Conv3d 1->96 stride (1,2,2); 96->128, 128->256, 256->256 stride 2;
             each BN + LeakyReLU(0.2)
    latent   (B, 256, 2, H/16, W/16); the memory addresses every latent position
    memory   N=2000 items of 256, learned by backprop (eq. 3-5), hard shrinkage (eq. 7)
             and L1 re-normalisation, entropy loss weight 0.0002 (eq. 9-10)
    dec      mirrored transposed convolutions; last layer without BN/activation
             (LNTRA adds tanh, sec. 4.1)
The paper addresses memory by cosine similarity (eq. 5); the official code uses a plain
dot product (`F.linear(input, weight)`): both are supported, default the official one.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

ADDRESSING = ("dot", "cosine")


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

    def __post_init__(self):
        if self.addressing not in ADDRESSING:
            raise ValueError(f"addressing must be one of {ADDRESSING}, got {self.addressing!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def hard_shrink_relu(w: torch.Tensor, threshold: float, eps: float = 1e-12) -> torch.Tensor:
    """Eq. 7: max(w - lambda, 0) * w / (|w - lambda| + eps): w where w > lambda, else 0, with
    a gradient (the ReLU form of the hard shrinkage of eq. 6)."""
    return F.relu(w - threshold) * w / (torch.abs(w - threshold) + eps)


def address(queries: torch.Tensor, items: torch.Tensor, cfg: MemAEConfig) -> torch.Tensor:
    """Addressing weights w (K, N): softmax of similarities (eq. 4-5), then hard shrinkage
    and L1 re-normalisation (eq. 7 and the sentence after it)."""
    if cfg.addressing == "cosine":
        similarity = F.normalize(queries, dim=1) @ F.normalize(items, dim=1).t()
    else:
        similarity = queries @ items.t()
    w = F.softmax(similarity, dim=1)
    if cfg.shrink_threshold > 0:
        w = F.normalize(hard_shrink_relu(w, cfg.shrink_threshold), p=1, dim=1)
    return w


def entropy_loss(w: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Eq. 9: mean over queries of sum_i -w_i log w_i (official EntropyLossEncap)."""
    return (-w * torch.log(w + eps)).sum(dim=1).mean()


class MemoryUnit(nn.Module):
    """N items of C features, learned by backprop; initialised uniform(+-1/sqrt(C)) as the
    official MemoryUnit."""

    def __init__(self, cfg: MemAEConfig, dim: int):
        super().__init__()
        self.cfg = cfg
        bound = 1.0 / math.sqrt(dim)
        self.items = nn.Parameter(torch.empty(cfg.num_items, dim).uniform_(-bound, bound))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z (B, C, T, H, W) -> (z_hat of the same shape, w (B*T*H*W, N)); every latent
        position is one query (MemAE sec. 4.2)."""
        b, c, t, h, w = z.shape
        queries = z.permute(0, 2, 3, 4, 1).reshape(-1, c)
        weights = address(queries, self.items, self.cfg)
        z_hat = (weights @ self.items).reshape(b, t, h, w, c).permute(0, 4, 1, 2, 3)
        return z_hat, weights


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
        self.memory = MemoryUnit(cfg, w4) if cfg.memory else None
        self.decoder = nn.Sequential(*_up(w4, w3, 2, 1), *_up(w3, w2, 2, 1), *_up(w2, w1, 2, 1),
                                     nn.ConvTranspose3d(w1, cfg.channels, 3, (1, 2, 2), 1, output_padding=(0, 1, 1)),
                                     *([nn.Tanh()] if cfg.tanh_output else []))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x (B, 1, T, H, W) -> (reconstruction, addressing weights or None)."""
        z = self.encoder(x)
        weights = None
        if self.memory is not None:
            z, weights = self.memory(z)
        return self.decoder(z), weights
