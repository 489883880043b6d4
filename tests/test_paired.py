"""Verdicts a statistician would sign: intervals over test videos and training seeds worked
out from their formulas on hand-made inputs, paired differences, Holm's correction, the
equivalence test for reported numbers, and what makes a comparison not testable."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.evaluation.paired import (AUCStatistic, auc_difference, auc_estimate, entropy_difference, estimate,
                                        runs_from_frames, usage_entropy, usage_from_rows)
from pipeline.evaluation.variance import Term, jackknife_variance, satterthwaite_df, t_interval
from pipeline.report.comparisons import compare
from pipeline.report.evidence import Row
from pipeline.report.reproduction import reproduction
from pipeline.report.verdicts import (CONTRADICTED, INCONCLUSIVE, NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED, SUPPORTED,
                                      TEST_SET_ONLY, TOO_FEW_SEEDS, ClaimSettings, Part, combine, dataset_cells, holm,
                                      part_from, settle)

from fixtures.scores import VIDEOS, frames


def seeded(signals, first_seed, **kw):
    """One model trained with several seeds: one frames() table per seed."""
    return pd.concat([frames(s, first_seed + i, train_seed=i, **kw) for i, s in enumerate(signals)], ignore_index=True)


def difference(a, b, **kw):
    return auc_difference(runs_from_frames(a), runs_from_frames(b), **kw)


S3 = ClaimSettings(min_seeds=3)


def test_jackknife_and_t_interval_follow_their_formulas():
    values = np.array([1.0, 2.0, 4.0])
    # (n - 1) / n * sum of squared deviations from the mean 7/3: 2/3 * (16/9 + 1/9 + 25/9) = 28/9
    assert jackknife_variance(values) == pytest.approx(28 / 9)
    lo, hi, se, df = t_interval(0.5, [Term(0.04, 9)])
    assert (se, df) == (pytest.approx(0.2), pytest.approx(9))
    assert hi - 0.5 == pytest.approx(stats.t.ppf(0.975, 9) * 0.2)
    # two parts: Satterthwaite df = (0.03 + 0.01)^2 / (0.03^2 / 4 + 0.01^2 / 2) = 0.0016 / 0.000275
    _, _, se, df = t_interval(0.0, [Term(0.03, 4), Term(0.01, 2, seeds=True)])
    assert se == pytest.approx(0.2) and df == pytest.approx(0.0016 / 0.000275)
    # the seed part carries 3/4 of the variance: no more degrees of freedom than its own 2 (5.8 above)
    _, _, se, df = t_interval(0.0, [Term(0.01, 4), Term(0.03, 2, seeds=True)])
    assert se == pytest.approx(0.2) and satterthwaite_df([Term(0.01, 4), Term(0.03, 2)]) > 2 and df == 2
    assert t_interval(0.3, [Term(0.5, 0)]) == (None, None, None, None), "a part without degrees of freedom is no part"


def test_the_seed_by_video_interaction_is_counted_once():
    """Two seeds, three videos, macro AUC (the pseudo-values of a mean are the per-video
    values): seed 0 [1/4, 1/2, 1], seed 1 [1/2, 1/2, 3/4]. By hand: video means 3/8, 1/2, 7/8
    around 7/12: videos term 78/576 / 2 / 3 = 13/576; both seeds average 7/12: seeds term 0;
    two-way residuals -+1/8, 0, +-1/8: mean square (4/64) / (1 x 2) = 1/32, taken off as
    1/32 / (2 x 3) = 3/576 off the videos term: variance 10/576, with the videos' 2 degrees of
    freedom (the seeds term, 0, adds none)."""
    runs = _perfect_or_not([[0.25, 0.5, 1.0], [0.5, 0.5, 0.75]])
    e = auc_estimate(runs, macro=True)
    assert e.value == pytest.approx(7 / 12) and e.se == pytest.approx(np.sqrt(10 / 576))
    assert e.df == pytest.approx(2)
    # an additive table (no interaction): nothing is taken off, the two terms simply add
    additive = auc_estimate(_perfect_or_not([[0.25, 0.5, 0.75], [0.5, 0.75, 1.0]]), macro=True)
    videos, seeds = np.var([3 / 8, 5 / 8, 7 / 8], ddof=1) / 3, np.var([0.5, 0.75], ddof=1) / 2
    assert additive.se == pytest.approx(np.sqrt(videos + seeds))


def _perfect_or_not(aucs_per_seed: list[list[float]]) -> dict:
    """Runs whose per-video AUCs are exactly the given values: each video has 4 normal and 1
    abnormal frame; the abnormal score outranks k of the 4 normal ones -> AUC k / 4."""
    runs = {}
    for seed, aucs in enumerate(aucs_per_seed):
        runs[seed] = {}
        for v, auc in enumerate(aucs):
            k = int(round(auc * 4))
            runs[seed][f"v{v}"] = (np.array([0, 0, 0, 0, 1]), np.array([1, 2, 3, 4, k + 0.5]))
    return runs


def test_the_macro_interval_of_one_seed_is_the_classic_mean_plus_t_standard_error():
    aucs = [0.25, 0.5, 0.75, 1.0, 1.0, 0.5]
    e = estimate(AUCStatistic(_perfect_or_not([aucs]), [f"v{i}" for i in range(6)], macro=True))
    se = np.std(aucs, ddof=1) / np.sqrt(6)  # the jackknife of a mean is the textbook standard error
    assert e.value == pytest.approx(np.mean(aucs)) and e.se == pytest.approx(se) and e.df == pytest.approx(5)
    assert e.hi - e.value == pytest.approx(stats.t.ppf(0.975, 5) * se)


def test_seeds_add_their_spread_over_the_number_of_seeds():
    same = [0.5, 0.5, 0.5, 0.5]   # no video-to-video variation: only the seeds vary
    runs = _perfect_or_not([[0.25] * 4, [0.5] * 4, [1.0] * 4])
    e = auc_estimate(runs, macro=True)
    assert e.value == pytest.approx(np.mean([0.25, 0.5, 1.0]))
    assert e.se == pytest.approx(np.std([0.25, 0.5, 1.0], ddof=1) / np.sqrt(3)) and e.df == pytest.approx(2)
    assert auc_estimate(_perfect_or_not([same]), macro=True).se == 0


def test_models_sharing_their_training_runs_are_paired_by_seed():
    a = _perfect_or_not([[0.75] * 4, [1.0] * 4, [0.5] * 4])   # seeds disagree a lot ...
    b = _perfect_or_not([[0.5] * 4, [0.75] * 4, [0.25] * 4])  # ... but each seed's B is A minus 0.25
    shared = auc_difference(a, b, macro=True, shared=True)
    assert shared.estimate == pytest.approx(0.25) and shared.se == 0 and shared.lo == shared.hi == pytest.approx(0.25)
    independent = auc_difference(a, b, macro=True)
    assert independent.lo < 0 < independent.hi, "as separate training runs the seeds' spread dominates"


def test_two_models_of_the_same_quality_are_never_supported():
    for seed in range(5):
        d = difference(frames(1.0, seed), frames(1.0, seed + 100))
        assert d.lo < 0 < d.hi and part_from(d, "x", "", ClaimSettings(min_seeds=1)).outcome == INCONCLUSIVE
    same = frames(1.0, 7)
    d = difference(same, same)
    assert d.lo == d.hi == 0


def test_a_clear_improvement_is_supported_and_a_clear_loss_contradicted():
    s = ClaimSettings(min_seeds=3)
    better, worse = seeded((2.5, 2.4, 2.6), 1), seeded((0.8, 0.9, 0.7), 10)
    up = part_from(difference(better, worse), "x", "", s)
    down = part_from(difference(worse, better), "x", "", s)
    assert up.outcome == SUPPORTED and down.outcome == INCONCLUSIVE and down.p_contra < 1e-3
    settle([down], s)
    assert down.outcome == CONTRADICTED


def test_pairing_narrows_the_interval_when_the_models_share_hard_videos():
    difficulty = np.random.default_rng(0).normal(0, 2, VIDEOS)
    a, b = frames(1.6, 3, difficulty), frames(1.2, 4, difficulty)
    paired = difference(a, b)
    apart = [auc_estimate(runs_from_frames(f)).se for f in (a, b)]  # what ignoring the pairing would give
    assert paired.se < 0.6 * np.hypot(*apart)


def test_seeds_that_disagree_widen_the_interval_and_fewer_than_three_give_no_verdict():
    agree, disagree, other = seeded((1.5, 1.5, 1.5), 10), seeded((0.5, 2.5, 1.5), 10), seeded((1.5, 1.5, 1.5), 20)
    narrow, wide = difference(agree, other), difference(disagree, other)
    assert wide.seeds == (3, 3) and (wide.hi - wide.lo) > 1.3 * (narrow.hi - narrow.lo)
    one = difference(frames(2.5, 1), frames(0.8, 2))
    part = part_from(one, "x", "line", S3)
    assert one.lo > 0 and part.outcome == TEST_SET_ONLY and part.direction == "\u2191" and part.p_contra is None
    per_dataset, cells = dataset_cells([part], ["x"])
    assert per_dataset == {"x": TEST_SET_ONLY} and cells["x"] == "1 seed: test-set only \u2191"


def test_holm_rejects_step_down_in_the_input_order():
    # sorted: 0.01 <= 0.05/3 rejected; 0.03 > 0.05/2 stops; 0.04 not reached
    assert holm([0.01, 0.04, 0.03], 0.05) == [True, False, False]
    assert holm([0.01, 0.02, 0.04], 0.05) == [True, True, True]  # 0.01 <= .0167, 0.02 <= .025, 0.04 <= .05
    assert holm([], 0.05) == []


def test_a_contradiction_must_survive_holm_across_the_claims_parts():
    s = ClaimSettings()
    parts = [Part("d", INCONCLUSIVE, f"part {i}", p) for i, p in enumerate([0.02, 0.5, 0.6, 0.7, 0.8, 0.9])]
    lines = settle(parts, s)
    assert all(p.outcome == INCONCLUSIVE for p in parts), "0.02 > 0.025 / 6: one part of six below by chance"
    assert "not after Holm across the claim's 6 tests" in lines[0]
    alone = [Part("d", INCONCLUSIVE, "alone", 0.02)]
    settle(alone, s)
    assert alone[0].outcome == CONTRADICTED


class _Store:
    def __init__(self, tables):
        self.tables = tables

    def scores(self, dataset, row):
        return self.tables.get(str(row))


def test_comparisons_that_cannot_exercise_the_claim_are_not_testable():
    s = ClaimSettings(min_seeds=1)
    chance = {"a": frames(0.0, 1), "b": frames(0.0, 2)}    # neither model beats chance
    a, b, a_fixed = Row("a"), Row("b"), Row("a", "without test-time update")
    assert "not above chance" in compare(_Store(chance), "d", a, b, s).line
    flipped = {"a": frames(2.5, 4), "b": frames(-1.5, 5)}  # a win over a model below chance is no evidence
    found = compare(_Store(flipped), "d", a, b, s)
    assert found.outcome == NOT_TESTABLE and "b not above chance" in found.line
    same = frames(1.5, 3)                                  # an ablation that changed nothing
    found = compare(_Store({"a": same, "a (without test-time update)": same}), "d", a, a_fixed,
                    s, updated={a: 0.0, a_fixed: 0.0})
    assert found.outcome == NOT_TESTABLE and "no test frame updated the memory" in found.line
    assert compare(_Store({"a": frames(2.5, 4), "b": frames(0.8, 5)}), "d", a, b, s).outcome == SUPPORTED
    assert compare(_Store({"a": frames(1.5, 4)}), "d", a, b, s) is None  # b not run: not tested


def test_outcomes_combine_across_pairs_and_datasets():
    assert combine([SUPPORTED, SUPPORTED]) == SUPPORTED
    assert combine([SUPPORTED, INCONCLUSIVE]) == INCONCLUSIVE
    assert combine([SUPPORTED, CONTRADICTED, INCONCLUSIVE]) == CONTRADICTED
    assert combine([SUPPORTED, TEST_SET_ONLY]) == TEST_SET_ONLY
    assert combine([SUPPORTED, NOT_TESTABLE]) == NOT_TESTABLE  # a part of the claim the evidence cannot exercise
    assert combine([NOT_TESTABLE, NOT_TESTABLE]) == NOT_TESTABLE


def test_a_reported_number_is_reproduced_by_two_one_sided_tests_on_seed_variation():
    """The paper's number is one training run, ours the mean of S: the interval of ours -
    reported is t(S - 1) x sd x sqrt(1/S + 1) wide on each side."""
    s = ClaimSettings(tolerance=0.06)
    # mean 0.81, sd 0.01: half-width t(2, 0.975) * 0.01 * sqrt(1/3 + 1) = 4.303 * 0.011547 = 0.049686
    verdict, lo, hi = reproduction(0.81, [0.80, 0.82, 0.81], s)
    assert verdict == REPRODUCED and (lo, hi) == (pytest.approx(-0.049686, abs=1e-5), pytest.approx(0.049686, abs=1e-5))
    assert reproduction(0.81, [0.80, 0.82, 0.81], ClaimSettings(tolerance=0.04))[0] == INCONCLUSIVE
    assert reproduction(0.70, [0.80, 0.82, 0.81], s)[0] == NOT_REPRODUCED   # [0.0603, 0.1597]: wholly above 0.06
    assert reproduction(0.81, [0.81], s)[0] == TOO_FEW_SEEDS
    # 0.05 below the paper: [-0.0997, -0.0003] is neither inside +-0.06 nor wholly outside it; never "reproduced"
    assert reproduction(0.86, [0.80, 0.82, 0.81], s)[0] == INCONCLUSIVE
    assert reproduction(0.93, [0.80, 0.82, 0.81], s)[0] == NOT_REPRODUCED


def test_the_chance_gate_stops_a_broken_baseline_but_not_a_working_one():
    """A baseline whose seeds sit below chance is not beaten in any sense that tests a claim;
    the gate asks each model's AUC to lie one (t-scaled) standard error above 0.5."""
    store = _Store({"good": seeded((1.5, 1.6, 1.4), 1), "broken": seeded((-0.4, -0.3, -0.5), 20),
                    "fine": seeded((1.0, 1.1, 0.9), 40)})
    found = compare(store, "d", Row("good"), Row("broken"), S3)
    assert found.outcome == NOT_TESTABLE and "broken not above chance" in found.line
    assert compare(store, "d", Row("good"), Row("fine"), S3).outcome != NOT_TESTABLE
    broken = found.bounds[1]
    assert broken.value - stats.t.ppf(0.84, broken.df) * broken.se <= 0.5 < found.bounds[0].value


def _usage(counts_per_video: list[list[int]], seed: int = 0) -> pd.DataFrame:
    return pd.DataFrame([{"seed": seed, "video": f"v{v}", "item": i, "count": c, "items": len(counts)}
                         for v, counts in enumerate(counts_per_video) for i, c in enumerate(counts) if c])


def test_usage_entropy_and_its_difference():
    assert usage_entropy(np.array([5, 5, 5, 5])) == pytest.approx(1.0)
    assert usage_entropy(np.array([20, 0, 0, 0])) == 0.0
    rng = np.random.default_rng(0)
    spread = usage_from_rows(pd.concat([_usage([list(5 + rng.integers(0, 3, 4)) for _ in range(8)], s)
                                        for s in range(3)]))
    lopsided = usage_from_rows(pd.concat([_usage([[17 + int(rng.integers(0, 3)), 1, 1, 1]] * 8, s) for s in range(3)]))
    d = entropy_difference(spread, lopsided)
    assert d.estimate > 0.5 and part_from(d, "x", "", S3).outcome == SUPPORTED


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
