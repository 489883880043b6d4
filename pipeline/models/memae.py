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


def latent_queries(z: torch.Tensor) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, T*H*W, C): every latent position is one query (MemAE sec. 4.2)."""
    return z.permute(0, 2, 3, 4, 1).flatten(1, 3)


def entropy_loss(w: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Eq. 9: mean over queries of sum_i -w_i log w_i (official EntropyLossEncap)."""
    return (-w * torch.log(w + eps)).sum(dim=1).mean()


def memae_loss(output: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None, entropy_weight: float
               ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Eq. 10: MSE(x_hat, x) + alpha * E(w_hat); the entropy term only with a memory."""
    losses = {"reconstruction": F.mse_loss(output, target)}
    loss = losses["reconstruction"]
    if weights is not None and entropy_weight > 0:
        losses["entropy"] = entropy_loss(weights)
        loss = loss + entropy_weight * losses["entropy"]
    return loss, losses


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
        queries = latent_queries(z).reshape(-1, c)
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

    def forward(self, x: torch.Tensor, return_latent: bool = False):
        """x (B, 1, T, H, W) -> (reconstruction, addressing weights or None[, encoder output])."""
        z = self.encoder(x)
        read, weights = self.memory(z) if self.memory is not None else (z, None)
        output = self.decoder(read)
        return (output, weights, z) if return_latent else (output, weights)


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
        unit_cfg = MemAEConfig(memory=cfg.memory, num_items=cfg.num_items, shrink_threshold=cfg.shrink_threshold,
                               addressing=cfg.addressing)
        self.memory = MemoryUnit(unit_cfg, widths[-1]) if cfg.memory else None
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
