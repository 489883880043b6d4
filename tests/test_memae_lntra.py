"""MemAE's sparse memory addressing and LNTRA's pseudo-anomaly generators."""
import math

import numpy as np
import pytest
import torch

from pipeline.families.clip_ae.memory import address, entropy_loss, hard_shrink_relu
from pipeline.families.clip_ae.model import MemAE, MemAEConfig
from pipeline.families.clip_ae.pseudo_anomalies import (apply_patch, intruder_images, sample_patch, skip_frame_indices,
                                       smooth_square_mask)


def test_hard_shrinkage_eq7_and_l1_renormalisation():
    w = torch.tensor([[0.5, 0.3, 0.2]])
    shrunk = hard_shrink_relu(w, 0.25)
    assert shrunk.tolist()[0] == pytest.approx([0.5, 0.3, 0.0], abs=1e-6)
    # softmax of log-weights gives back w, so address() must return w shrunk and re-normalised
    weights = address(torch.log(w), torch.eye(3), shrink_threshold=0.25)
    assert weights.tolist()[0] == pytest.approx([0.625, 0.375, 0.0], abs=1e-6)
    assert float(weights.sum()) == pytest.approx(1.0)


def test_entropy_loss_eq9():
    w = torch.tensor([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    assert float(entropy_loss(w)) == pytest.approx((math.log(2) + 0.0) / 2, abs=1e-6)


def test_cosine_and_dot_addressing_differ_only_by_item_norms():
    queries, items = torch.randn(5, 4), torch.randn(6, 4)
    dot = address(queries, items, 0, "dot")
    cosine = address(queries, items, 0, "cosine")
    assert not torch.allclose(dot, cosine)
    unit_q = torch.nn.functional.normalize(queries, dim=1)
    unit_i = torch.nn.functional.normalize(items, dim=1)
    same = address(unit_q, unit_i, 0, "dot")
    assert torch.allclose(same, address(unit_q, unit_i, 0, "cosine"))


def test_video_shapes_and_only_addressed_items_get_gradients():
    cfg = MemAEConfig(num_items=50, widths=(4, 6, 8, 8), shrink_threshold=0.05)
    model = MemAE(cfg)
    x = torch.randn(2, 1, 16, 32, 32)
    recon, weights = model(x)
    assert recon.shape == x.shape
    assert weights.shape == (2 * 2 * 2 * 2, 50)  # latent (2, 8, 2, 2, 2): one query per position
    recon.pow(2).mean().backward()
    addressed = (weights > 0).any(dim=0)
    grads = model.memory.items.grad.abs().sum(dim=1)
    # MemAE sec. 3.4: only addressed items receive gradient through z_hat = w M; the others
    # only through the softmax denominator, orders of magnitude weaker.
    assert addressed.any() and (~addressed).any()
    assert grads[~addressed].max() < 1e-3 * grads[addressed].median()


def test_autoencoder_variant_has_no_memory_and_lntra_output_is_bounded():
    model = MemAE(MemAEConfig(memory=False, widths=(4, 6, 8, 8), tanh_output=True))
    recon, weights = model(torch.randn(1, 1, 16, 32, 32) * 10)
    assert weights is None and recon.abs().max() <= 1


def test_patch_geometry_and_movement_bounds():
    rng = np.random.default_rng(0)
    for _ in range(50):
        patch = sample_patch(16, 64, 80, rng, alpha=0.5, beta=10)
        assert 10 <= patch.size[0] <= 40 and 10 <= patch.size[1] <= 32  # [10, alpha W] x [10, alpha H]
        steps = np.abs(np.diff(patch.centres, axis=0))
        assert np.all(steps <= 10 + 1e-9)  # eq. 6: |delta mu| <= beta per frame and axis
        assert np.all((patch.centres >= 0) & (patch.centres <= [79, 63]))


def test_smooth_mask_and_blending():
    mask = smooth_square_mask(40, 40, (20, 20), (20, 20), ramp=0.2)
    assert mask[20, 20] == 1.0 and mask[0, 0] == 0.0 and 0 < mask[20, 29] < 1  # ramp at the edge
    clip = np.zeros((3, 40, 40))
    patch = sample_patch(3, 40, 40, np.random.default_rng(1), beta=0)
    out = apply_patch(clip, np.ones((40, 40)), patch)
    assert np.allclose(out[0], smooth_square_mask(40, 40, patch.centres[0], patch.size))
    assert np.array_equal(clip, np.zeros((3, 40, 40))), "the normal clip (the target) is untouched"


def test_intruders_come_from_an_installed_package():
    images = intruder_images(32, 48)
    assert len(images) >= 2 and images[0].shape == (32, 48) and -1 <= images[0].min() < images[0].max() <= 1


def test_skip_frame_indices_and_edges():
    rng = np.random.default_rng(0)
    for _ in range(100):
        skipped, normal = skip_frame_indices(100, 16, rng)
        stride = skipped[1] - skipped[0]
        assert stride in (2, 3, 4, 5) and np.all(np.diff(skipped) == stride)
        assert skipped[0] == normal[0] and np.all(np.diff(normal) == 1) and skipped[-1] < 100
    # 40 frames fit strides 2 (needs 31) only: a drawn 3, 4 or 5 falls back to 2
    for _ in range(10):
        skipped, _ = skip_frame_indices(40, 16, rng)
        assert skipped[1] - skipped[0] == 2
    assert skip_frame_indices(30, 16, rng) is None  # shorter than 1 + 15 * 2


def test_skip_frame_keeps_the_clip_start_and_shrinks_the_stride_near_the_end():
    rng = np.random.default_rng(1)
    for _ in range(50):
        skipped, normal = skip_frame_indices(100, 16, rng, start=10)
        assert skipped[0] == normal[0] == 10 and skipped[-1] < 100
    # from frame 60 of 100 only stride 2 fits (60 + 30 = 90 < 100; stride 3 needs 105)
    for _ in range(10):
        skipped, _ = skip_frame_indices(100, 16, rng, start=60)
        assert skipped[0] == 60 and skipped[1] - skipped[0] == 2
    # from frame 80 nothing fits: a start is drawn where one does
    skipped, normal = skip_frame_indices(100, 16, rng, start=80)
    assert skipped[0] == normal[0] and skipped[-1] < 100
