"""What a family's spec says about scoring (no numbers here, and no torch): the terms of
its abnormality score, the ablations it gets, the sweep it wants. The train and infer
stages import this too, through the family registry."""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.artifacts import FRAMES
from pipeline.io import InputError
from pipeline.params import model_section


@dataclass(frozen=True)
class Ablation:
    """Another score of the same trained model: `terms` over the signals in `frames_file`."""
    label: str
    terms: dict[str, float]
    frames_file: str = FRAMES
    lam: float | None = None      # shown as the ablation row's lambda


@dataclass(frozen=True)
class ScorePlan:
    """How a family turns inferred signals into the abnormality score (family spec.py)."""
    terms: dict[str, float]                   # signal -> weight (pipeline.evaluation.scores.weighted_score)
    normalisation: str = "per_video"
    lam: float | None = None                  # MNAD eq. 16's lambda, when the score uses it
    test_time_update: bool | None = None      # what inference ran with (memory models)
    ablations: tuple[Ablation, ...] = ()
    sweep: tuple[str, str] | None = None      # (a, b): also report AUC of {a: l, b: 1 - l} over LAMBDA_GRID
    extra: dict = field(default_factory=dict)  # family facts copied into metrics.json


def terms_plan(params: dict, model: str) -> ScorePlan:
    """A score given as `models.<model>.score.terms` (signal -> weight) and `.normalisation`."""
    score = model_section(params, model)["score"]
    terms = score.get("terms")
    if not isinstance(terms, dict) or not terms:
        raise InputError(f"params.yaml: models.{model}.score.terms must map inferred signals to weights, e.g. "
                         "{recon_error: 1.0}.")
    return ScorePlan({str(k): float(v) for k, v in terms.items()}, score["normalisation"])
