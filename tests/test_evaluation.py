from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.artifacts import FRAMES, alternate_update_file
from pipeline.evaluation.evaluate import evaluate
from pipeline.evaluation.scores import weighted_score
from pipeline.families.mnad.config import train_configs
from pipeline.families.mnad.spec import psnr_distance_terms, score_plan
from pipeline.params import load_params

from conftest import ROOT


def abnormality_score(frames, lam):
    """MNAD eq. 16, per-video min-max; lam None: PSNR alone."""
    return weighted_score(frames, psnr_distance_terms(lam))


def _mnad(infer_dir, lam, memory_term=True, test_time_update=True, memory=True):
    """evaluate() with the plan MNAD's spec makes from a model section with these settings."""
    params = {"lambda": "paper", "models": {"m": {
        "train": {"memory": memory}, "infer": {"test_time_update": test_time_update},
        "score": {"lambda": lam, "memory_term": memory_term, "normalisation": "per_video"}}}}
    return evaluate(sorted(Path(infer_dir).glob("seed_*")), score_plan(params, "m"))


def _frames(seed):
    rng = np.random.default_rng(seed)
    n = 20
    return pd.DataFrame({"video": ["a"] * n + ["b"] * n, "frame": list(range(n)) * 2,
                         "label": ([0] * 12 + [1] * 8) * 2, "anomaly_type": (["normal"] * 12 + ["temporal"] * 8) * 2,
                         "psnr": rng.normal(30, 2, 2 * n), "distance": rng.uniform(0, 1, 2 * n),
                         "regular_score": 0.1, "updated": False})


def _write(folder, frames, other=None, test_time_update=True):
    folder.mkdir(parents=True)
    frames.to_csv(folder / FRAMES, index=False)
    if other is not None:
        other.to_csv(folder / alternate_update_file(test_time_update), index=False)


def test_memory_model_gets_both_inference_time_ablations(tmp_path):
    configured, other = _frames(0), _frames(1)
    _write(tmp_path / "seed_0", configured, other)
    scores, metrics = _mnad(tmp_path, 0.6)
    assert np.allclose(scores.score, abnormality_score(configured, 0.6))
    assert set(metrics["ablations"]) == {"without test-time update", "PSNR-only score"}
    psnr_only = configured.assign(score=abnormality_score(configured, None))
    from pipeline.evaluation.metrics import frame_aucs
    assert metrics["ablations"]["PSNR-only score"]["auc_micro"] == pytest.approx(frame_aucs(psnr_only)["auc_micro"])
    other["score"] = abnormality_score(other, 0.6)
    assert metrics["ablations"]["without test-time update"]["auc_micro"] == pytest.approx(frame_aucs(other)["auc_micro"])


def test_memory_term_switched_off_scores_psnr_only(tmp_path):
    configured = _frames(0)
    _write(tmp_path / "seed_0", configured, configured, test_time_update=False)
    scores, metrics = _mnad(tmp_path, 0.6, memory_term=False, test_time_update=False)
    assert metrics["lambda"] is None and not metrics["memory_term"]
    assert np.allclose(scores.score, abnormality_score(configured, None))
    assert set(metrics["ablations"]) == {"with test-time update", "PSNR + memory distance score"}


def test_model_without_memory_has_no_ablations(tmp_path):
    _write(tmp_path / "seed_0", _frames(0).drop(columns=["distance"]))
    _, metrics = _mnad(tmp_path, None, memory=False)
    assert metrics["ablations"] == {} and metrics["lambda"] is None and "lambda_sweep" not in metrics


def test_seeds_are_averaged_and_the_interval_brackets_the_estimate(tmp_path):
    for seed in (0, 1, 2):
        _write(tmp_path / f"seed_{seed}", _frames(seed), _frames(seed + 10))
    scores, metrics = _mnad(tmp_path, 0.6)
    per_seed = metrics["auc_micro_per_seed"]
    assert metrics["seeds"] == [0, 1, 2] and len(per_seed) == 3
    assert metrics["auc_micro"] == pytest.approx(np.mean(per_seed))
    assert metrics["auc_micro_std"] == pytest.approx(np.std(per_seed))
    lo, hi = metrics["interval"]["auc_micro"]
    assert lo <= metrics["auc_micro"] <= hi and hi - lo > 0
    # the interval the verdicts use, over test videos and seeds (clipped to [0, 1])
    from pipeline.evaluation.paired import auc_estimate, runs_from_frames
    e = auc_estimate(runs_from_frames(scores))
    assert (lo, hi) == (pytest.approx(e.lo), pytest.approx(e.hi)) and 0 <= lo and hi <= 1
    assert metrics["ablations"]["PSNR-only score"]["interval"]["auc_micro"] is not None, "every row has its interval"


def test_lambda_sweep_ends_are_psnr_only_and_distance_only(tmp_path):
    frames = _frames(4)
    _write(tmp_path / "seed_0", frames, frames)
    _, metrics = _mnad(tmp_path, 0.6)
    sweep = {round(r["lambda"], 2): r["auc_micro"] for r in metrics["lambda_sweep"]}
    assert len(sweep) == 21
    from pipeline.evaluation.metrics import frame_aucs
    assert sweep[1.0] == pytest.approx(frame_aucs(frames.assign(score=abnormality_score(frames, None)))["auc_micro"])
    assert sweep[0.0] == pytest.approx(frame_aucs(frames.assign(score=abnormality_score(frames, 0.0)))["auc_micro"])


def test_train_config_from_params():
    params = load_params(ROOT / "params.yaml")
    _, cfg, loop = train_configs(params, "synthetic", "recon_mem", seed=3)
    assert cfg.seed == loop.seed == 3
    assert cfg.lr == params["profiles"][params["profile"]]["mnad"]["train"]["lr"]["reconstruction"]
    assert (cfg.lambda_c, cfg.lambda_s) == (0.01, 0.01)  # MNAD sec. 4.1, reconstruction
    assert cfg.supervision is False
    assert train_configs(params, "synthetic", "pred_mem_sup", 0)[1].supervision is True
    params["supervision"] = True
    assert train_configs(params, "synthetic", "pred_mem", 0)[1].supervision is True
    assert train_configs(params, "synthetic", "pred", 0)[1].supervision is False  # no memory, no supervision
    paper = dict(params, profile="paper")
    assert train_configs(paper, "ped2", "recon_mem", 0)[1].lr == 2e-5  # MNAD sec. 4.1
    _, cfg, loop = train_configs(paper, "ped2", "pred_mem", 0)
    assert loop.epochs == cfg.epochs == 60 and loop.batch_size == 4
