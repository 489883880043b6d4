"""The verdict rule keeps its error rates on simulated score sets with known truth (a small,
seeded version of benchmarks/verdict_calibration.py). Each scenario is one where a looser
rule shows: with A and B strongly correlated the seeds' spread dominates the difference
(an interval without it covers ~91% here), and with 5 videos the t quantile matters (a
normal quantile covers ~89%)."""
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from verdict_calibration import Scenario, run  # noqa: E402


def test_correlated_equal_models_are_rarely_supported_and_the_seeds_spread_is_in_the_interval():
    r = run(Scenario("equal, correlated", shared_video_sd=1.0, own_video_sd=0.1, frame_corr=0.8), draws=150, seed=11,
            truth_draws=0)
    assert r["supported"] <= 0.025 and r["contradicted"] <= 0.025
    assert r["coverage"] >= 0.94


def test_five_videos_keep_coverage():
    r = run(Scenario("equal, 5 videos", videos=5, seed_sd=0.0), draws=150, seed=11, truth_draws=0)
    assert r["coverage"] >= 0.92 and r["supported"] <= 0.05


def test_a_known_margin_is_covered_and_never_contradicted():
    r = run(Scenario("A better, 5 videos", videos=5, margin=0.3), draws=100, seed=12, truth_draws=300)
    assert 0.03 < r["truth"] < 0.08 and r["coverage"] >= 0.90 and r["contradicted"] <= 0.05
