"""Do the verdicts keep their stated error rates? Score sets with known truth are simulated
and judged by the project's own verdict code (pipeline.report.verdicts.compare_runs: the
interval over test videos and seeds, the chance rules, the seed minimum), then counted:

    false supported   share of draws judged "supported" when the truth is no difference
                      (the rule's nominal rate: 2.5%)
    coverage          share of draws whose 95% interval holds the true difference
    power             share judged "supported" when A is truly better
    contradicted      share judged below (one part alone, no Holm needed)

The generative model: V test videos of 64 frames, each with one anomaly of 24 frames; a
frame's score is separation x label + AR(1) noise (frames of a video are correlated,
rho 0.8), min-max scaled per video as the score stages do. The separation of model m,
training seed s, video v is mu_m + seed effect a_ms + a video effect shared by both models
(hard and easy videos) + a model-specific video effect. Scenarios vary the seed effect
(AUC spread between seeds about 0.02), a known margin, how correlated A and B are, whether
they share training runs (an ablation at inference time), and V (5 and 15: the embedded
default's temporal-anomaly and whole test sets) and S (1 and 3 seeds). "Reproduced" is
checked the same way: the share called reproduced when the paper's number lies 0 to 0.10
from the model's expected AUC on the test set.

    python benchmarks/verdict_calibration.py               # 1,000 draws per row, ~4 minutes on 2 cores
    python benchmarks/verdict_calibration.py --draws 100   # quicker, noisier
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from pipeline.evaluation.paired import auc_estimate  # noqa: E402
from pipeline.report.verdicts import REPRODUCED, SUPPORTED, ClaimSettings, compare_runs, reproduction  # noqa: E402

FRAMES, ANOMALY, RHO = 64, 24, 0.8


@dataclass(frozen=True)
class Scenario:
    name: str
    videos: int = 15
    seeds: int = 3
    mu: float = 1.2                # mean separation of B (AUC about 0.8)
    margin: float = 0.0            # A's separation above B's
    seed_sd: float = 0.1           # seed effect on the separation: with seed_noise, AUCs of seeds on one test set spread 0.02
    shared_video_sd: float = 0.5   # hard and easy videos, the same for A and B
    own_video_sd: float = 0.3      # each model's own video effect
    frame_corr: float = 0.0        # correlation of A's and B's frame noise (the same video's hard frames)
    seed_noise: float = 0.05       # share of the frame noise that a new training seed draws afresh
    shared_runs: bool = False      # A and B are the same training runs (B: A's seeds, paired)


def _noise(rng, videos: int) -> np.ndarray:
    """AR(1) noise (videos, FRAMES) with unit variance."""
    z = rng.standard_normal((videos, FRAMES))
    out = np.empty_like(z)
    out[:, 0] = z[:, 0]
    for t in range(1, FRAMES):
        out[:, t] = RHO * out[:, t - 1] + np.sqrt(1 - RHO ** 2) * z[:, t]
    return out


def _scaled(x: np.ndarray) -> np.ndarray:
    low, high = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
    return (x - low) / (high - low)


def test_set(sc: Scenario, rng: np.random.Generator) -> dict:
    """V test videos: their labels and video effects (shared by both models, and each model's own)."""
    starts = rng.integers(8, FRAMES - ANOMALY - 8, sc.videos)
    labels = ((np.arange(FRAMES) >= starts[:, None]) & (np.arange(FRAMES) < starts[:, None] + ANOMALY)).astype(int)
    shared = rng.normal(0, sc.shared_video_sd, sc.videos)
    noise_a = _noise(rng, sc.videos)
    noise_b = sc.frame_corr * noise_a + np.sqrt(1 - sc.frame_corr ** 2) * _noise(rng, sc.videos)
    return {"labels": labels, "noise": {"a": noise_a, "b": noise_b},
            **{m: shared + rng.normal(0, sc.own_video_sd, sc.videos) for m in "ab"}}


def train_runs(sc: Scenario, test: dict, rng: np.random.Generator, seeds: int) -> tuple[dict, dict]:
    """S training seeds of A and B scored on `test` -> (runs A, runs B): seed -> video -> (labels, scores)."""
    runs = {"a": {}, "b": {}}
    labels = test["labels"]
    for s in range(seeds):
        seed_a = rng.normal(0, sc.seed_sd)
        seed_b = seed_a if sc.shared_runs else rng.normal(0, sc.seed_sd)
        fresh_a = _noise(rng, sc.videos)
        fresh_b = fresh_a if sc.shared_runs else _noise(rng, sc.videos)
        for m, seed_effect, fresh, mu in (("a", seed_a, fresh_a, sc.mu + sc.margin), ("b", seed_b, fresh_b, sc.mu)):
            noise = np.sqrt(1 - sc.seed_noise) * test["noise"][m] + np.sqrt(sc.seed_noise) * fresh
            scores = _scaled((mu + seed_effect + test[m])[:, None] * labels + noise)
            runs[m][s] = {f"v{i:02d}": (labels[i], scores[i]) for i in range(sc.videos)}
    return runs["a"], runs["b"]


def draw(sc: Scenario, rng: np.random.Generator, seeds: int | None = None) -> tuple[dict, dict]:
    """A new test set and S training seeds of A and B on it."""
    return train_runs(sc, test_set(sc, rng), rng, sc.seeds if seeds is None else seeds)


def _auc(run: dict) -> float:
    return auc_estimate({0: run}).value


def true_difference(sc: Scenario, draws: int, rng) -> float:
    """E[AUC(A) - AUC(B)] over test sets of V videos and training seeds (Monte Carlo); 0 by
    symmetry when the models are equal."""
    if sc.margin == 0:
        return 0.0
    return float(np.mean([_auc(a[0]) - _auc(b[0]) for a, b in (draw(sc, rng, 1) for _ in range(draws))]))


def run(sc: Scenario, draws: int, seed: int = 0, truth_draws: int = 2000) -> dict:
    """Rates of the verdict rule over `draws` simulated comparisons."""
    rng = np.random.default_rng(seed)
    truth = true_difference(sc, truth_draws, rng)
    s = ClaimSettings()
    supported = contradicted = covered = intervals = 0
    width = 0.0
    for _ in range(draws):
        a, b = draw(sc, rng)
        found = compare_runs(a, b, "sim", "sim", ("a", "a (ablation)") if sc.shared_runs else ("a", "b"), s)
        supported += found.outcome == SUPPORTED
        contradicted += found.part.p_contra is not None and found.part.p_contra < s.alpha  # one part: Holm is the test
        d = found.difference
        if d is not None and d.lo is not None:
            intervals += 1
            covered += d.lo <= truth <= d.hi
            width += d.hi - d.lo
    return {"truth": truth, "supported": supported / draws, "contradicted": contradicted / draws,
            "coverage": covered / max(intervals, 1), "width": width / max(intervals, 1)}


def reproduction_rates(draws: int, seeds: int, seed: int = 0, offsets=(0.0, 0.01, 0.03, 0.05, 0.10)
                       ) -> list[tuple[float, float]]:
    """(distance of the reported number from the model's expected AUC on the test set, share
    called reproduced) with `seeds` training seeds on a fixed test set of 15 videos: the
    expected AUC is the mean over 200 further training seeds on the same videos."""
    rng = np.random.default_rng(seed)
    sc, s = Scenario("reproduction", seeds=seeds), ClaimSettings()
    hits = dict.fromkeys(offsets, 0)
    for _ in range(draws):
        test = test_set(sc, rng)
        per_seed = [_auc(r) for r in train_runs(sc, test, rng, sc.seeds)[0].values()]
        expected = float(np.mean([_auc(r) for r in train_runs(sc, test, rng, 200)[0].values()]))
        for offset in offsets:
            hits[offset] += reproduction(expected + offset, per_seed, s)[0] == REPRODUCED
    return [(offset, n / draws) for offset, n in hits.items()]


SCENARIOS = [
    Scenario("equal models, seed effect"),
    Scenario("equal models, seed effect, 5 videos", videos=5),
    Scenario("equal models, no seed effect", seed_sd=0.0),
    Scenario("equal models, no seed effect, 5 videos", videos=5, seed_sd=0.0),
    Scenario("equal models, strongly correlated A and B", shared_video_sd=1.0, own_video_sd=0.1, frame_corr=0.8),
    Scenario("equal, same training runs (ablation)", shared_runs=True, frame_corr=0.8),
    Scenario("equal models, seed effect, 1 seed", seeds=1),
    Scenario("A better (margin), seed effect", margin=0.3),
    Scenario("A better (margin), seed effect, 5 videos", videos=5, margin=0.3),
    Scenario("A better (margin), strongly correlated A and B", margin=0.3, shared_video_sd=1.0, own_video_sd=0.1,
             frame_corr=0.8),
    Scenario("A better, same training runs (ablation)", margin=0.2, shared_runs=True, frame_corr=0.8),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    rows = [(sc, run(sc, args.draws, seed=i)) for i, sc in enumerate(SCENARIOS)]
    print(f"{date.today()}, {platform.machine()} {os.cpu_count()}-core {platform.system()}; {args.draws} draws per row, "
          f"95% intervals, one-sided tests at 2.5%\n")
    print("| scenario | videos | seeds | true A - B | supported | contradicted | coverage | mean width |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for sc, r in rows:
        note = " (test-set only: no verdict)" if sc.seeds < ClaimSettings().min_seeds else ""
        print(f"| {sc.name}{note} | {sc.videos} | {sc.seeds} | {r['truth']:+.3f} | {r['supported']:.1%} | "
              f"{r['contradicted']:.1%} | {r['coverage']:.1%} | {r['width']:.3f} |")
    print(f"\nReported number called reproduced (tolerance {ClaimSettings().tolerance}, 15 videos, seeds spreading "
          f"0.02 on the test set, {args.draws // 4} draws per column):\n")
    columns = {seeds: reproduction_rates(args.draws // 4, seeds, seed=seeds) for seeds in (3, 5, 10)}
    print("| reported - expected AUC | " + " | ".join(f"{n} seeds" for n in columns) + " |")
    print("| ---: |" + " ---: |" * len(columns))
    for i, (offset, _) in enumerate(columns[3]):
        print(f"| {offset:+.2f} | " + " | ".join(f"{rates[i][1]:.1%}" for rates in columns.values()) + " |")

if __name__ == "__main__":
    main()
