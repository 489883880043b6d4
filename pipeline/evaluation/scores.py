"""Abnormality scores: weighted sums of min-max-normalised per-frame signals (MNAD eq. 16-17,
MemAE eq. 11, LNTRA eq. 10, DAAD eq. 7; official MNAD Evaluate.py).

g is min-max normalisation over the frames of one video (MNAD eq. 17). MNAD's official code
divides by max - min, which is 0 when a signal is constant within a video (every query
nearest to the same item, as the report found on ShanghaiTech, sec. 5), giving NaN. Here
a constant signal normalises to 0 for every frame: it carries no information to rank
frames, so the score falls back to the other term instead of becoming NaN. "Constant"
includes constant to float rounding: a PSNR that varies by 1e-7 dB within a video (every
frame's memory updated the same way) would otherwise be stretched into full-scale scores.
Such videos are listed (constant_videos) and the report names them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

NORMALISATIONS = ("per_video", "global")


# A span below this fraction of the signal's magnitude is float rounding, not signal: the
# signals are computed in float32 (relative precision 6e-8) and summed over many pixels.
CONSTANT_RTOL = 1e-6


def is_constant(values: np.ndarray) -> bool:
    """Whether a video's signal is constant up to float rounding (see CONSTANT_RTOL)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return True
    span = values.max() - values.min()
    return bool(span <= CONSTANT_RTOL * max(1.0, float(np.abs(values).max())))


def minmax(values: np.ndarray) -> np.ndarray:
    """Eq. 17: (x - min) / (max - min); all zeros when the values are constant, to float
    rounding (see module doc)."""
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("min-max normalisation got non-finite values (NaN or inf)")
    if is_constant(values):
        return np.zeros_like(values)
    return (values - values.min()) / (values.max() - values.min())


def constant_videos(frames: pd.DataFrame, terms: dict[str, float]) -> dict[str, list[str]]:
    """Per score term, the videos in which its signal is constant (to rounding): per-video
    min-max gives that term 0 on every frame there, so the video is ranked by the others."""
    found = {}
    for column in terms:
        flat = frames.groupby("video", sort=False)[column].apply(lambda s: is_constant(s.to_numpy()))
        if flat.any():
            found[column] = sorted(str(v) for v in flat.index[flat])
    return found


def normalise(frames: pd.DataFrame, column: str, how: str = "per_video") -> np.ndarray:
    if how not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {how!r}")
    if how == "global":
        return minmax(frames[column].to_numpy())
    return frames.groupby("video", sort=False)[column].transform(lambda s: minmax(s.to_numpy())).to_numpy()


# Signals where a low value means abnormal; every other signal (errors, distances) is
# abnormal when high.
LOW_IS_ABNORMAL = {"psnr"}


def weighted_score(frames: pd.DataFrame, terms: dict[str, float], normalisation: str = "per_video") -> np.ndarray:
    """sum_k w_k * g'(signal_k), g' = g for errors and distances, 1 - g for PSNR. Covers
    MNAD eq. 16 ({psnr: lam, distance: 1 - lam}), MemAE eq. 11 ({recon_error: 1}: 1 - p_u),
    LNTRA eq. 10 ({psnr: 1}) and DAAD sec. 3.4 ({recon_error: 0.9, feature_error: 0.1})."""
    if not terms:
        raise ValueError("an abnormality score needs at least one term")
    missing = sorted(set(terms) - set(frames.columns))
    if missing:
        raise ValueError(f"score terms {missing} are not among the inferred signals {sorted(frames.columns)}")
    total = np.zeros(len(frames))
    for column, weight in terms.items():
        g = normalise(frames, column, normalisation)
        total += weight * ((1.0 - g) if column in LOW_IS_ABNORMAL else g)
    return total
