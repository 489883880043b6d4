import numpy as np
import pandas as pd
import pytest

from pipeline.evaluation.metrics import auc, frame_aucs
from pipeline.evaluation.scores import minmax, weighted_score
from pipeline.families.mnad.spec import psnr_distance_terms, resolve_lambda
from pipeline.io import InputError


def abnormality_score(frames, lam, normalisation="per_video"):
    """MNAD eq. 16 through MNAD's spec: lam * (1 - g(P)) + (1 - lam) * g(D); lam None: PSNR alone."""
    return weighted_score(frames, psnr_distance_terms(lam), normalisation)


def test_minmax_eq17():
    assert minmax(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]


def test_constant_signal_normalises_to_zero_not_nan():
    # MNAD's ShanghaiTech bug: one item used by every query -> D constant -> 0/0.
    assert minmax(np.array([0.7, 0.7, 0.7])).tolist() == [0.0, 0.0, 0.0]


def test_a_signal_constant_to_float_rounding_is_constant_and_its_video_is_named():
    from pipeline.evaluation.scores import constant_videos
    # 30 dB varying by 1e-7 dB (test-time update on, float32 rounding): MNAD's min-max would
    # stretch the rounding to [0, 1]; a real 0.01 dB spread is still a signal
    assert minmax(np.array([30.0, 30.0 + 1e-7, 30.0 - 1e-7])).tolist() == [0.0, 0.0, 0.0]
    assert minmax(np.array([30.0, 30.01, 30.005])).tolist() == pytest.approx([0.0, 1.0, 0.5])
    f = _frames().assign(psnr=[30.0, 20.0, 25.0, 40.0, 40.0 + 2e-7, 40.0])
    assert constant_videos(f, {"psnr": 0.6, "distance": 0.4}) == {"psnr": ["b"]}
    assert constant_videos(_frames().assign(psnr=[30.0, 20.0, 25.0, 40.0, 41.0, 40.0]), {"psnr": 1.0}) == {}


def test_non_finite_input_is_an_error_not_a_silent_nan():
    with pytest.raises(ValueError, match="non-finite"):
        minmax(np.array([1.0, np.nan]))


def _frames():
    return pd.DataFrame({"video": ["a"] * 3 + ["b"] * 3, "frame": [0, 1, 2] * 2,
                         "psnr": [30.0, 20.0, 25.0, 40.0, 40.0, 40.0],
                         "distance": [0.1, 0.3, 0.2, 0.5, 0.1, 0.3],
                         "label": [0, 1, 0, 0, 1, 0], "anomaly_type": ["normal", "x", "normal"] * 2})


def test_abnormality_score_eq16_per_video():
    s = abnormality_score(_frames(), lam=0.6)
    # video a: g(P) = [1, 0, .5], g(D) = [0, 1, .5]; S = .6(1-g(P)) + .4 g(D)
    assert s[:3].tolist() == pytest.approx([0.0, 1.0, 0.5])
    # video b: constant PSNR -> g(P) = 0 -> PSNR term 0.6 everywhere; g(D) = [1, 0, .5]
    assert s[3:].tolist() == pytest.approx([0.6 + 0.4, 0.6, 0.6 + 0.2])
    assert np.all(np.isfinite(s))


def test_psnr_only_score_and_global_normalisation():
    f = _frames()
    assert abnormality_score(f, None)[:3].tolist() == pytest.approx([0.0, 1.0, 0.5])
    glob = abnormality_score(f, None, "global")
    assert glob.tolist() == pytest.approx([0.5, 1.0, 0.75, 0.0, 0.0, 0.0])


def test_lambda_resolution():
    assert resolve_lambda("paper", 0.6) == 0.6
    assert resolve_lambda(0.7, 0.6) == 0.7
    with pytest.raises(InputError, match="lambda must be 'paper' or a number in"):
        resolve_lambda(1.5, 0.6)


def test_auc_micro_and_macro_differ_as_defined():
    # Within each video the abnormal frame has the top score (macro = 1), but video b's
    # normal frames outscore video a's abnormal one when pooled (micro < 1).
    f = pd.DataFrame({"video": ["a"] * 3 + ["b"] * 3, "label": [0, 1, 0, 0, 1, 0],
                      "anomaly_type": ["normal", "t", "normal", "normal", "t", "normal"],
                      "score": [0.1, 0.2, 0.0, 0.5, 0.9, 0.6]})
    result = frame_aucs(f)
    assert result["auc_macro"] == 1.0
    # pooled: positives {0.2, 0.9}, negatives {0.1, 0.0, 0.5, 0.6}: 0.2 beats 2 of 4, 0.9 beats 4
    assert result["auc_micro"] == pytest.approx(6 / 8)
    assert result["videos_in_macro"] == 2


def test_auc_undefined_is_none_and_single_class_videos_skip_macro():
    assert auc(np.array([0, 0]), np.array([0.1, 0.2])) is None
    f = pd.DataFrame({"video": ["a", "a", "b", "b"], "label": [0, 1, 0, 0],
                      "anomaly_type": ["normal", "t", "normal", "normal"], "score": [0.0, 1.0, 0.3, 0.2]})
    result = frame_aucs(f)
    assert result["videos_in_macro"] == 1 and result["auc_macro"] == 1.0


def test_per_type_auc_uses_only_the_videos_of_that_type():
    f = pd.DataFrame({"video": ["s", "s", "t", "t"], "label": [0, 1, 0, 1],
                      "anomaly_type": ["normal", "spatial", "normal", "temporal"],
                      "score": [0.0, 1.0, 0.5, 0.4]})
    per_type = frame_aucs(f)["per_type"]
    assert per_type == {"spatial": 1.0, "temporal": 0.0}


def test_rank_auc_equals_sklearn_with_ties():
    from sklearn.metrics import roc_auc_score

    from pipeline.evaluation.metrics import rank_auc
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 300)
    scores = np.round(rng.normal(labels * 0.5, 1.0), 1)  # rounding makes ties
    assert rank_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))
    assert rank_auc(np.zeros(4), np.arange(4)) is None


def test_weighted_score_memae_eq11_and_daad_mix():
    f = _frames().assign(recon_error=[1.0, 3.0, 2.0, 5.0, 9.0, 7.0], feature_error=[0.0, 0.0, 1.0, 2.0, 2.0, 2.0])
    # MemAE eq. 11: abnormality = 1 - p_u = g(e_u), per video
    assert weighted_score(f, {"recon_error": 1.0}).tolist() == pytest.approx([0.0, 1.0, 0.5, 0.0, 1.0, 0.5])
    # DAAD: 0.9 g(R) + 0.1 g(L); video b has a constant L -> that term is 0
    assert weighted_score(f, {"recon_error": 0.9, "feature_error": 0.1}).tolist() == pytest.approx(
        [0.0, 0.9, 0.45 + 0.1, 0.0, 0.9, 0.45])
    # LNTRA eq. 10 is the PSNR-only score
    assert weighted_score(f, {"psnr": 1.0}).tolist() == pytest.approx(abnormality_score(f, None).tolist())
    with pytest.raises(ValueError, match="not among"):
        weighted_score(f, {"nope": 1.0})


def test_numpy_auc_and_roc_match_scikit_learn():
    from sklearn.metrics import roc_auc_score, roc_curve

    from pipeline.evaluation.metrics import roc_points

    rng = np.random.default_rng(0)
    for _ in range(20):
        labels = rng.integers(0, 2, 200)
        scores = np.round(rng.normal(size=200) + labels, 1)  # many ties
        assert auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))
        fpr, tpr = roc_points(labels, scores)
        ref_fpr, ref_tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
        assert np.allclose(fpr, ref_fpr) and np.allclose(tpr, ref_tpr)
        assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc_score(labels, scores))
