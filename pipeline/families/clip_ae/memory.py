"""MemAE's memory (Gong et al., ICCV 2019, sec. 3.3-3.5), shared by the families that use it:
the clip autoencoders (MemAE video), MemAE's image track and DAAD's 1/N cut.

Items are parameters learned by backprop (no write rule). Every latent position is one
query. Addressing: softmax of similarities (eq. 4-5); the paper uses cosine similarity,
the official code a plain dot product (`F.linear(input, weight)` in models/memory_module.py):
both are supported, default the official one. Then hard shrinkage (eq. 7) and L1
re-normalisation; the entropy of the weights is a loss (eq. 9-10).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ADDRESSING = ("dot", "cosine")


def hard_shrink_relu(w: torch.Tensor, threshold: float, eps: float = 1e-12) -> torch.Tensor:
    """Eq. 7: max(w - lambda, 0) * w / (|w - lambda| + eps): w where w > lambda, else 0, with
    a gradient (the ReLU form of the hard shrinkage of eq. 6)."""
    return F.relu(w - threshold) * w / (torch.abs(w - threshold) + eps)


def address(queries: torch.Tensor, items: torch.Tensor, shrink_threshold: float, addressing: str = "dot"
            ) -> torch.Tensor:
    """Addressing weights w (K, N): softmax of similarities (eq. 4-5), then hard shrinkage
    and L1 re-normalisation (eq. 7 and the sentence after it); threshold 0 skips both."""
    if addressing == "cosine":
        similarity = F.normalize(queries, dim=1) @ F.normalize(items, dim=1).t()
    else:
        similarity = queries @ items.t()
    w = F.softmax(similarity, dim=1)
    if shrink_threshold > 0:
        w = F.normalize(hard_shrink_relu(w, shrink_threshold), p=1, dim=1)
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

    def __init__(self, num_items: int, dim: int, shrink_threshold: float, addressing: str = "dot"):
        super().__init__()
        if addressing not in ADDRESSING:
            raise ValueError(f"addressing must be one of {ADDRESSING}, got {addressing!r}")
        self.shrink_threshold, self.addressing = shrink_threshold, addressing
        bound = 1.0 / math.sqrt(dim)
        self.items = nn.Parameter(torch.empty(num_items, dim).uniform_(-bound, bound))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z (B, C, T, H, W) -> (z_hat of the same shape, w (B*T*H*W, N))."""
        b, c, t, h, w = z.shape
        queries = latent_queries(z).reshape(-1, c)
        weights = address(queries, self.items, self.shrink_threshold, self.addressing)
        z_hat = (weights @ self.items).reshape(b, t, h, w, c).permute(0, 4, 1, 2, 3)
        return z_hat, weights
