"""MNAD memory module (Park et al., CVPR 2020, sec. 3.1-3.3), as pure functions of
(queries, items) so that every equation can be checked on hand-computed tensors.

Shapes: queries (K, C), L2-normalised rows (K = B*H*W); items (M, C), L2-normalised.
Items are not parameters: they receive no gradient and change only through `update`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

UPDATE_NORMALISATIONS = ("official", "paper")
SUPERVISION_TARGETS = ("interleaved", "contiguous", "flat")


def init_items(num_items: int, dim: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Official code: L2-normalised uniform noise (torch.rand), (M, C)."""
    return F.normalize(torch.rand(num_items, dim, generator=generator), dim=1)


def matching_probabilities(queries: torch.Tensor, items: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (w, v), both (K, M).

    w: eq. 1, softmax over items of p_m^T q_k (each row sums to 1), used to read.
    v: eq. 4, softmax over queries (each column sums to 1), used to update.
    Queries and items are unit vectors, so p_m^T q_k is the cosine similarity.
    """
    similarity = queries @ items.t()
    return F.softmax(similarity, dim=1), F.softmax(similarity, dim=0)


def read(queries: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """Eq. 2: p_hat_k = sum_m w_km p_m, (K, C). The official code detaches w, so the
    read sends no gradient back to the queries through the weights."""
    w, _ = matching_probabilities(queries, items)
    return w.detach() @ items


def nearest_items(queries: torch.Tensor, items: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Indices of the k most similar items per query, (K, k) (eq. 11 and 13)."""
    return torch.topk(queries @ items.t(), k, dim=1).indices


@torch.no_grad()
def update(items: torch.Tensor, queries: torch.Tensor, normalisation: str = "official") -> torch.Tensor:
    """Eq. 3-5: p_m <- f(p_m + sum_{k in U_m} v'_km q_k), f = L2 normalisation.

    U_m: queries whose nearest item is m. v'_km = v_km / max v_k'm, where the max runs
    over U_m in the paper (eq. 5) and over all queries in the official code
    (`score[idx, i] / torch.max(score[:, i])`). Items with empty U_m are unchanged.
    """
    if normalisation not in UPDATE_NORMALISATIONS:
        raise ValueError(f"update normalisation must be one of {UPDATE_NORMALISATIONS}, got {normalisation!r}")
    _, v = matching_probabilities(queries, items)
    assigned = F.one_hot(nearest_items(queries, items)[:, 0], items.shape[0]).to(v.dtype)  # (K, M)
    if normalisation == "official":
        denominator = v.max(dim=0).values
    else:
        denominator = (v * assigned).max(dim=0).values.clamp_min(torch.finfo(v.dtype).tiny)
    weights = v * assigned / denominator  # (K, M), zero outside U_m
    return F.normalize(items + weights.t() @ queries, dim=1)


def compactness_loss(queries: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """Eq. 10-11, as the official code computes it: MSE (mean over K*C elements)
    between each query and its nearest item (item detached)."""
    nearest = nearest_items(queries, items)[:, 0]
    return F.mse_loss(queries, items[nearest].detach())


def separateness_loss(queries: torch.Tensor, items: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """Eq. 12-13: triplet margin loss, anchor q_k, positive its nearest item, negative
    the second nearest; plain L2 distance, mean over queries (nn.TripletMarginLoss)."""
    top2 = nearest_items(queries, items, k=2)
    positive, negative = items[top2[:, 0]].detach(), items[top2[:, 1]].detach()
    return F.triplet_margin_loss(queries, positive, negative, margin=margin)


def query_distance(queries: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """Eq. 14 as the official evaluation computes it: mean over the frame's queries of
    the per-element squared difference to the nearest item (MSE), one value per frame.
    queries: (B, K, C) -> (B,)."""
    b, k, c = queries.shape
    flat = queries.reshape(b * k, c)
    nearest = items[nearest_items(flat, items)[:, 0]]
    return ((flat - nearest) ** 2).reshape(b, k * c).mean(dim=1)


def uniform_assignment_target(queries_per_image: int, batch_size: int, num_items: int,
                              kind: str = "interleaved") -> torch.Tensor:
    """Target of the reproducibility report's memory-distribution supervision (sec. 5), per
    image and tiled over the batch: (batch_size * queries_per_image, num_items).

    "interleaved" (the report's code, MNADrc memory_final_..._mem_dist.py: `ideal[i, i % 10]`):
    query i (raster order) -> item i mod M. "contiguous": equal blocks of consecutive
    queries per item. "flat": every entry 1/M. The report's map is one 32x32 image's
    (1024 x 10); tiling it per image gives the same loss at any batch size."""
    if kind not in SUPERVISION_TARGETS:
        raise ValueError(f"supervision target must be one of {SUPERVISION_TARGETS}, got {kind!r}")
    if kind == "flat":
        return torch.full((batch_size * queries_per_image, num_items), 1.0 / num_items)
    index = torch.arange(queries_per_image)
    share = index % num_items if kind == "interleaved" else index * num_items // queries_per_image
    return F.one_hot(share, num_items).float().repeat(batch_size, 1)


def supervision_loss(queries: torch.Tensor, items: torch.Tensor, batch_size: int, kind: str = "interleaved") -> torch.Tensor:
    """MSE between the item softmax w (eq. 1) and the uniform target (report sec. 5)."""
    w, _ = matching_probabilities(queries, items)
    target = uniform_assignment_target(queries.shape[0] // batch_size, batch_size, items.shape[0], kind)
    return F.mse_loss(w, target.to(w.device, w.dtype))


def regular_score(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Eq. 7-8, the weighted regular score E_t that gates the test-time update.

    As the official `point_score`: images mapped to [0, 1], per-element squared error
    e, weights W = (1 - exp(-e)) / sum(1 - exp(-e)), E_t = sum W * e. A frame predicted
    without any error gives 0 / 0 = NaN there, and NaN < gamma is false: no memory update;
    the same here.
    prediction, target: (B, C, H, W) in [-1, 1] -> (B,)."""
    error = (((prediction + 1) / 2 - (target + 1) / 2) ** 2).flatten(1)
    weight = 1 - torch.exp(-error)
    return (weight * error).sum(dim=1) / weight.sum(dim=1)
