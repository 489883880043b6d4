"""One model's inference outputs -> per-frame scores and AUC metrics, including the
inference-time ablations of MNAD Table 2 / report Tables 6-7 that need no retraining:
the test-time memory update switched the other way, and the PSNR-only score."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.artifacts import FRAMES, alternate_update_file
from pipeline.metrics import frame_aucs
from pipeline.scoring import abnormality_score

SCORE_COLUMNS = ["video", "frame", "label", "anomaly_type", "score"]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"video": str, "anomaly_type": str})


def evaluate(infer_dir: str | Path, lam: float | None, normalisation: str, memory_term: bool,
             test_time_update: bool | None) -> tuple[pd.DataFrame, dict]:
    """lam: eq. 16 weight (None: model without memory). memory_term: the configured score
    uses the distance term. test_time_update: what the inference ran with (None: no memory)."""
    infer_dir = Path(infer_dir)
    frames = _read(infer_dir / FRAMES)
    used_lambda = lam if memory_term else None
    frames["score"] = abnormality_score(frames, used_lambda, normalisation)
    metrics = {"lambda": used_lambda, "normalisation": normalisation, "test_time_update": test_time_update,
               "memory_term": memory_term and lam is not None, **frame_aucs(frames), "ablations": {}}
    if lam is not None:
        other = _read(infer_dir / alternate_update_file(test_time_update))
        other["score"] = abnormality_score(other, used_lambda, normalisation)
        label = "without test-time update" if test_time_update else "with test-time update"
        metrics["ablations"][label] = frame_aucs(other)
        alt = frames.assign(score=abnormality_score(frames, None if memory_term else lam, normalisation))
        metrics["ablations"]["PSNR-only score" if memory_term else "PSNR + memory distance score"] = frame_aucs(alt)
    return frames[SCORE_COLUMNS], metrics
