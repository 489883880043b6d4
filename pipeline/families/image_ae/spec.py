"""How the image track is scored: the image's reconstruction error (`models.<model>.score.terms`),
min-max scaled over its class's test set (MemAE sec. 4.1)."""
from pipeline.evaluation.plan import terms_plan as score_plan  # noqa: F401


def model_lists(params: dict, model: str) -> tuple[str, ...]:
    return ("oneclass_models",)
