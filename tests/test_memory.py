"""MNAD memory equations on hand-computed tensors (MNAD sec. 3.1-3.3, report sec. 5)."""
import math

import pytest
import torch
import torch.nn.functional as F

from pipeline.families.mnad import memory as mem

E = math.e


def t(rows):
    return torch.tensor(rows, dtype=torch.float64)


ITEMS = t([[1, 0], [0, 1]])
QUERIES = t([[1, 0], [0, 1], [0.6, 0.8]])


def test_matching_probabilities_eq1_and_eq4():
    w, v = mem.matching_probabilities(QUERIES, ITEMS)
    # eq. 1: softmax over items of p_m^T q_k
    assert w[0].tolist() == pytest.approx([E / (E + 1), 1 / (E + 1)])
    assert w[2].tolist() == pytest.approx([E**0.6 / (E**0.6 + E**0.8), E**0.8 / (E**0.6 + E**0.8)])
    # eq. 4: softmax over queries
    z1, z2 = E + 1 + E**0.6, 1 + E + E**0.8
    assert v[:, 0].tolist() == pytest.approx([E / z1, 1 / z1, E**0.6 / z1])
    assert v[:, 1].tolist() == pytest.approx([1 / z2, E / z2, E**0.8 / z2])


def test_read_eq2_is_the_w_weighted_average_of_items():
    read = mem.read(QUERIES, ITEMS)
    a = E**0.6 / (E**0.6 + E**0.8)
    assert read[2].tolist() == pytest.approx([a * 1 + (1 - a) * 0, a * 0 + (1 - a) * 1])


def test_read_sends_no_gradient_through_the_weights():
    q = QUERIES.clone().requires_grad_(True)
    assert not mem.read(q, ITEMS).requires_grad  # items carry no gradient either (not parameters)


def test_update_eq3_official_and_paper_normalisation():
    items = t([[1, 0], [0.8, 0.6]])
    q_a, q_b = t([0, 1]), t([1, 0])  # q_a's nearest is item 2; q_b's is item 1
    queries = torch.stack([q_a, q_b])
    official = mem.update(items, queries, "official")
    paper = mem.update(items, queries, "paper")
    # item 1: U = {q_b}, and q_b also has the largest v over all queries: weight 1 in both
    assert official[0].tolist() == pytest.approx([1, 0])
    assert paper[0].tolist() == pytest.approx([1, 0])
    # item 2: U = {q_a}; the column max of v is at q_b (outside U).
    # official divides by that max: v_a / v_b = e^0.6 / e^0.8; the paper by max over U: 1.
    assert official[1].tolist() == pytest.approx(F.normalize(items[1] + E**-0.2 * q_a, dim=0).tolist())
    assert paper[1].tolist() == pytest.approx(F.normalize(items[1] + q_a, dim=0).tolist())


def test_update_leaves_items_without_queries_unchanged_and_normalised():
    items = F.normalize(t([[1, 0.1], [0, 1], [-1, 0]]), dim=1)
    queries = t([[1, 0], [0.9, 0.43589]])  # all nearest to item 0
    updated = mem.update(items, queries)
    assert torch.allclose(updated[1:], items[1:])
    assert torch.allclose(updated.norm(dim=1), torch.ones(3, dtype=torch.float64))


def test_compactness_loss_is_mse_to_the_nearest_item():
    # q3 = (0.6, 0.8) is nearest to item 2 = (0, 1): squared error (0.36 + 0.04); q1, q2 are on items.
    assert float(mem.compactness_loss(QUERIES, ITEMS)) == pytest.approx((0.36 + 0.04) / 6)


def test_separateness_loss_is_a_triplet_margin_to_the_second_nearest_item():
    # q3: d(nearest (0,1)) = sqrt(0.4), d(second (1,0)) = sqrt(0.8); q1, q2: 0 and sqrt(2).
    expected = (max(0 - math.sqrt(2) + 1, 0) * 2 + max(math.sqrt(0.4) - math.sqrt(0.8) + 1, 0)) / 3
    assert float(mem.separateness_loss(QUERIES, ITEMS, margin=1.0)) == pytest.approx(expected, abs=1e-5)


def test_query_distance_eq14_per_frame():
    frames = QUERIES[None]  # one frame with three queries
    assert float(mem.query_distance(frames, ITEMS)[0]) == pytest.approx(0.4 / 6)


def test_regular_score_eq7_8():
    target = t([[[[-1.0, -1.0]]]])  # one 1x2 single-channel image: 0, 0 in [0, 1]
    prediction = t([[[[0.0, 1.0]]]])  # 0.5, 1 in [0, 1]: squared errors 0.25 and 1
    w1, w2 = 1 - E**-0.25, 1 - E**-1
    assert float(mem.regular_score(prediction, target)[0]) == pytest.approx((w1 * 0.25 + w2 * 1) / (w1 + w2))
    assert torch.isnan(mem.regular_score(target, target)[0])  # 0 / 0, as the official point_score


def test_supervision_targets_interleaved_as_the_reports_code_or_contiguous():
    """MNADrc's `ideal[i, i % 10] = 1`: query i of an image goes to item i mod M."""
    target = mem.uniform_assignment_target(queries_per_image=4, batch_size=2, num_items=2)
    assert target.tolist() == [[1, 0], [0, 1], [1, 0], [0, 1]] * 2
    assert mem.uniform_assignment_target(1024, 1, 10).argmax(1)[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    contiguous = mem.uniform_assignment_target(4, 2, 2, kind="contiguous")
    assert contiguous.tolist() == [[1, 0], [1, 0], [0, 1], [0, 1]] * 2
    assert mem.uniform_assignment_target(10, 1, 10).sum(0).tolist() == [1.0] * 10
    flat = mem.uniform_assignment_target(4, 3, 5, kind="flat")
    assert flat.shape == (12, 5) and torch.allclose(flat, torch.full((12, 5), 0.2))


@pytest.mark.parametrize("kind", ["interleaved", "contiguous", "flat"])
def test_supervision_loss_is_the_same_for_batch_1_and_4(kind):
    torch.manual_seed(0)
    items = mem.init_items(5, 8).double()
    one_image = F.normalize(torch.randn(16, 8, dtype=torch.float64), dim=1)
    four_images = one_image.repeat(4, 1)
    assert float(mem.supervision_loss(four_images, items, 4, kind)) == pytest.approx(
        float(mem.supervision_loss(one_image, items, 1, kind)))


def test_supervision_loss_value_by_hand():
    # queries equal to the items: w rows are softmax([1, 0]) and softmax([0, 1])
    items = t([[1, 0], [0, 1]])
    queries = t([[1, 0], [0, 1], [1, 0], [0, 1]])  # the interleaved target: rows 0, 2 -> item 0; 1, 3 -> item 1
    a = E / (E + 1)
    expected = ((a - 1) ** 2 + (1 - a) ** 2) / 2  # every row is off by (1 - a) in both entries
    assert float(mem.supervision_loss(queries, items, 1)) == pytest.approx(expected)
    # the same queries against the contiguous target: rows 1 and 2 now point at the other item
    swapped = (2 * ((a - 1) ** 2 + (1 - a) ** 2) / 2 + 2 * ((a - 0) ** 2 + (1 - a - 1) ** 2) / 2) / 4
    assert float(mem.supervision_loss(queries, items, 1, "contiguous")) == pytest.approx(swapped)


def test_init_items_are_unit_vectors():
    items = mem.init_items(10, 512, torch.Generator().manual_seed(0))
    assert items.shape == (10, 512) and torch.allclose(items.norm(dim=1), torch.ones(10))
