"""MemAE's sparse memory addressing and LNTRA's pseudo-anomaly generators."""
import math

import numpy as np
import pytest
import torch

from pipeline.families.clip_ae.memory import address, entropy_loss, hard_shrink_relu
from pipeline.families.clip_ae.model import MemAE, MemAEConfig
from pipeline.families.clip_ae.pseudo_anomalies import (apply_patch, intruder_images, sample_patch, skip_frame_indices,
                                                       smooth_border_mask)


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


def test_patch_geometry_and_movement_as_the_official_code():
    """Sides max(10, int(U(0, alpha) W)), an integer centre in [0, W), integer steps in
    [-beta, beta] clipped to [0, W] (official create_pseudoanomaly_cifar_smoothborder)."""
    rng = np.random.default_rng(0)
    steps_seen = set()
    for _ in range(200):
        patch = sample_patch(16, 64, 80, rng, alpha=0.5, beta=3)
        assert 10 <= patch.size[0] <= 40 and 10 <= patch.size[1] <= 32
        assert patch.centres.dtype.kind == "i" and 0 <= patch.centres[0, 0] < 80 and 0 <= patch.centres[0, 1] < 64
        steps = np.diff(patch.centres, axis=0)
        steps_seen |= set(np.unique(steps).tolist())
        assert np.all((patch.centres >= 0) & (patch.centres <= [80, 64]))  # clipped to [0, W], W included
    assert steps_seen == set(range(-3, 4)), "every integer step in [-beta, beta] occurs"


def test_smooth_border_mask_is_one_over_the_box_and_ramps_outside_it():
    """SmoothMixS by the official formula: box [cx - w//2, cx + w//2] = [20, 60] for a 40 px box
    centred at 40; outside it the mask falls to 0 over (40 // 2) * 0.1 = 2 px."""
    mask = smooth_border_mask(80, 80, (40, 40), (40, 40))
    assert mask[40, 40] == mask[20, 20] == mask[60, 60] == mask[40, 20] == 1.0   # the whole box, edges included
    assert mask[40, 19] == pytest.approx(0.5) and mask[40, 61] == pytest.approx(0.5)  # (19 - 18) / 2, (62 - 61) / 2
    assert mask[19, 19] == pytest.approx(0.25)                                       # product of the two ramps
    assert mask[40, 18] == mask[40, 62] == mask[0, 0] == 0.0
    assert mask.sum() == pytest.approx(41 * 41 + 4 * 41 * 0.5 + 4 * 0.25)           # no patch mass lost inside
    clip = np.zeros((3, 80, 80))
    patch = sample_patch(3, 80, 80, np.random.default_rng(1), beta=0)
    out = apply_patch(clip, np.ones((80, 80)), patch)
    assert np.allclose(out[0], smooth_border_mask(80, 80, patch.centres[0], patch.size))
    assert np.array_equal(clip, np.zeros((3, 80, 80))), "the normal clip (the target) is untouched"


def test_intruders_come_from_an_installed_package():
    images = intruder_images(32, 48)
    assert len(images) >= 2 and images[0].shape == (32, 48) and -1 <= images[0].min() < images[0].max() <= 1


def test_skip_frames_keep_the_drawn_stride_and_move_the_start():
    """Official Reconstruction3DDataLoaderJump: the stride is kept; a start from which the
    clip runs past the video is redrawn (up to 10 times); indices past the end repeat the
    last frame. On a 64-frame video every stride 2..5 is used, about equally often."""
    rng = np.random.default_rng(0)
    strides = []
    for start in list(range(0, 49)) * 8:
        skipped, normal, stride = skip_frame_indices(64, 16, rng, start=start)
        strides.append(stride)
        first = int(normal[0])
        assert np.array_equal(skipped, np.minimum(first + stride * np.arange(16), 63))
        assert np.array_equal(normal, np.minimum(first + np.arange(16), 63))
        if start + 15 * stride <= 64:
            assert first == start, "a clip that fits keeps its start"
    counts = np.bincount(strides, minlength=6)[2:]
    assert len(counts) == 4 and counts.min() > 0.2 * len(strides)
    # stride 5 needs 76 frames: no start fits, so after the redraws the clip repeats frame 63
    skipped, _, _ = next(s for s in (skip_frame_indices(64, 16, rng, start=0) for _ in range(200)) if s[2] == 5)
    assert skipped[-1] == 63 and list(skipped).count(63) >= 2
