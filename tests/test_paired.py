"""Verdicts a statistician would sign: paired differences over test videos (and seeds), three
outcomes, and what makes a comparison not testable, on constructed score sets."""
import numpy as np
import pandas as pd
import pytest

from pipeline.evaluation.paired import (paired_difference, paired_entropy_difference, runs_from_frames,
                                        unpaired_difference, usage_entropy, usage_from_rows)
from pipeline.report.verdicts import (CONTRADICTED, INCONCLUSIVE, NOT_TESTABLE, SUPPORTED, ClaimSettings, combine,
                                      compare, direction)

from fixtures.scores import VIDEOS, frames


def difference(a, b, **kw):
    return paired_difference(runs_from_frames(a), runs_from_frames(b), resamples=400, **kw)


def test_two_models_of_the_same_quality_are_inconclusive_never_supported():
    for seed in range(5):
        d = difference(frames(1.0, seed), frames(1.0, seed + 100))
        assert d.lo < 0 < d.hi and direction(d) == INCONCLUSIVE
    same = frames(1.0, 7)
    d = difference(same, same)
    assert d.lo == d.hi == 0 and direction(d) == INCONCLUSIVE


def test_a_clear_improvement_is_supported_and_a_clear_loss_contradicted():
    better, worse = frames(2.5, 1), frames(0.8, 2)
    assert direction(difference(better, worse)) == SUPPORTED
    assert direction(difference(worse, better)) == CONTRADICTED


def test_pairing_narrows_the_interval_when_the_models_share_hard_videos():
    difficulty = np.random.default_rng(0).normal(0, 2, VIDEOS)
    a, b = frames(1.6, 3, difficulty), frames(1.2, 4, difficulty)
    paired = difference(a, b)
    unpaired = unpaired_difference(runs_from_frames(a), runs_from_frames(b), resamples=400)
    assert paired.estimate == pytest.approx(unpaired.estimate)
    assert (paired.hi - paired.lo) < 0.6 * (unpaired.hi - unpaired.lo)


def test_seeds_that_disagree_widen_the_two_level_interval():
    a = pd.concat([frames(s, 10 + i, train_seed=i) for i, s in enumerate((0.5, 2.5, 1.5))], ignore_index=True)
    b = frames(1.5, 20)
    two_level, videos_only = difference(a, b), difference(a, b, resample_seeds=False)
    assert two_level.seeds == (3, 1) and two_level.estimate == pytest.approx(videos_only.estimate)
    assert (two_level.hi - two_level.lo) > 1.3 * (videos_only.hi - videos_only.lo)


class _Store:
    def __init__(self, tables):
        self.tables = tables

    def scores(self, dataset, name):
        return self.tables.get(name)


def test_comparisons_that_cannot_exercise_the_claim_are_not_testable():
    s = ClaimSettings(resamples=300)
    chance = {"a": frames(0.0, 1), "b": frames(0.0, 2)}    # neither model beats chance
    assert compare(_Store(chance), "d", "a", "b", s).outcome == NOT_TESTABLE
    same = frames(1.5, 3)                                  # an ablation that changed nothing
    found = compare(_Store({"a": same, "a (without test-time update)": same}), "d", "a", "a (without test-time update)",
                    s, updated={"a": 0.0, "a (without test-time update)": 0.0})
    assert found.outcome == NOT_TESTABLE and "no test frame updated the memory" in found.line
    assert compare(_Store({"a": frames(2.5, 4), "b": frames(0.8, 5)}), "d", "a", "b", s).outcome == SUPPORTED
    assert compare(_Store({"a": frames(1.5, 4)}), "d", "a", "b", s) is None  # b not run: not tested


def test_outcomes_combine_across_pairs_and_datasets():
    assert combine([SUPPORTED, SUPPORTED]) == SUPPORTED
    assert combine([SUPPORTED, INCONCLUSIVE]) == INCONCLUSIVE
    assert combine([SUPPORTED, CONTRADICTED, INCONCLUSIVE]) == CONTRADICTED
    assert combine([SUPPORTED, NOT_TESTABLE]) == NOT_TESTABLE  # a part of the claim the evidence cannot exercise
    assert combine([NOT_TESTABLE, NOT_TESTABLE]) == NOT_TESTABLE


def _usage(counts_per_video: list[list[int]], seed: int = 0) -> pd.DataFrame:
    return pd.DataFrame([{"seed": seed, "video": f"v{v}", "item": i, "count": c, "items": len(counts)}
                         for v, counts in enumerate(counts_per_video) for i, c in enumerate(counts) if c])


def test_usage_entropy_and_its_paired_difference():
    assert usage_entropy(np.array([5, 5, 5, 5])) == pytest.approx(1.0)
    assert usage_entropy(np.array([20, 0, 0, 0])) == 0.0
    spread = usage_from_rows(_usage([[5, 5, 5, 5]] * 8))
    lopsided = usage_from_rows(_usage([[17, 1, 1, 1]] * 8))
    d = paired_entropy_difference(spread, lopsided, resamples=200)
    assert d.estimate > 0.5 and direction(d) == SUPPORTED
    assert direction(paired_entropy_difference(lopsided, spread, resamples=200)) == CONTRADICTED


def test_pooled_auc_of_a_draw_weights_frames_by_repeats_and_equals_concatenation():
    from pipeline.evaluation.metrics import PooledAUC, rank_auc

    videos = [(np.array([1, 0]), np.array([0.9, 0.1])), (np.array([0, 1]), np.array([0.5, 0.5]))]
    # draw [0, 1, 1]: positives 0.9, 0.5, 0.5; negatives 0.1, 0.5, 0.5. 0.9 beats all three (3);
    # each 0.5 beats 0.1 and ties the two 0.5s (1 + 2 * 0.5): 3 + 2 * 2 = 7 of 9 pairs
    pooled = PooledAUC(videos)
    assert pooled.auc(np.array([0, 1, 1])) == pytest.approx(7 / 9)
    assert pooled.auc(np.array([1, 1])) == 0.5
    assert pooled.auc(np.array([0, 0])) == 1.0
    rng = np.random.default_rng(0)
    many = [(rng.integers(0, 2, 30), np.round(rng.normal(size=30), 1)) for _ in range(6)]
    pooled = PooledAUC(many)
    for _ in range(50):
        pick = rng.integers(0, 6, 6)
        expected = rank_auc(np.concatenate([many[i][0] for i in pick]), np.concatenate([many[i][1] for i in pick]))
        assert pooled.auc(pick) == expected  # bit for bit: every term is an integer or a half
