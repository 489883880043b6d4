"""How MemAE / LNTRA outputs are scored: `models.<model>.score.terms` over the clip signals
(MemAE eq. 11: the clip's reconstruction error; LNTRA eq. 10: the 9th frame's PSNR), each
min-max normalised per video."""
from pipeline.evaluation.plan import terms_plan as score_plan  # noqa: F401


def model_lists(params: dict, model: str) -> tuple[str, ...]:
    return ("clip_models",)
