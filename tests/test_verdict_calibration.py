"""The verdict rule keeps its error rates on simulated score sets with known truth (a small,
seeded version of benchmarks/verdict_calibration.py). Each check is one a looser rule
fails: an interval without the seeds' spread (correlated models), a normal quantile with 5
videos, Satterthwaite's degrees of freedom uncapped where the seeds dominate (a linear
statistic), a chance gate that asks only whether a model is below chance."""
import sys

import numpy as np
from scipy import stats

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from verdict_calibration import SCENARIOS, Scenario, run  # noqa: E402

from pipeline.evaluation.variance import SeedTable, satterthwaite_df, seed_limited_df, variance_terms  # noqa: E402


def _scenario(name: str) -> Scenario:
    [found] = [sc for sc in SCENARIOS if sc.name == name]
    return found


def test_correlated_equal_models_are_rarely_supported_and_the_seeds_spread_is_in_the_interval():
    r = run(Scenario("equal, correlated", shared_video_sd=1.0, own_video_sd=0.1, frame_corr=0.8), draws=150, seed=11,
            truth_draws=0)
    assert r.share("supported") <= 0.025 and r.share("contradicted") <= 0.025
    assert r.share("covered") >= 0.94


def test_five_videos_keep_coverage():
    """A normal quantile in place of t covers 89% of these draws."""
    r = run(Scenario("equal, 5 videos", videos=5, seed_sd=0.0), draws=300, seed=21, truth_draws=0)
    assert r.share("covered") >= 0.93 and r.share("supported") <= 0.045


def test_a_known_margin_is_covered_and_never_contradicted():
    r = run(Scenario("A better, 5 videos", videos=5, margin=0.3), draws=100, seed=12, truth_draws=300)
    assert 0.03 < r.truth[2] < 0.08 and r.share("covered") >= 0.90 and r.share("contradicted") <= 0.05


def test_a_broken_baseline_is_stopped_by_the_chance_gate():
    """Model at 0.74 against a baseline at 0.45: the old gate (only 'shown below chance')
    let 80% of such draws through as supported."""
    r = run(_scenario("model at 0.74 vs baseline at 0.45"), draws=100, seed=9, truth_draws=0)
    assert r.share("supported") <= 0.05 and r.share("not_testable") >= 0.9


def test_the_seed_cap_on_degrees_of_freedom_keeps_coverage_where_the_seeds_dominate():
    """A linear statistic x_sv = a_s + b_v + g_sv with the seed effect dominant, 3 seeds, 15
    videos: Satterthwaite's degrees of freedom from the estimated terms cover about 92.6%;
    capped at the seeds' 2 they cover about 95%."""
    rng = np.random.default_rng(0)
    covered = {"capped": 0, "uncapped": 0}
    draws = 4000
    for _ in range(draws):
        x = rng.normal(0, 1, (3, 1)) + rng.normal(0, 1, (1, 15)) + rng.normal(0, 0.3, (3, 15))
        terms = variance_terms(x.mean(axis=0), [SeedTable(x.mean(axis=1), x)])
        se = np.sqrt(sum(t.variance for t in terms))
        for name, df in (("capped", seed_limited_df(terms)), ("uncapped", satterthwaite_df(terms))):
            covered[name] += abs(x.mean()) <= stats.t.ppf(0.975, df) * se
    assert covered["uncapped"] / draws < 0.935 and covered["capped"] / draws >= 0.94
