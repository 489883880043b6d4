"""How DAAD's outputs are scored: A = 0.9 R + 0.1 L for DAAD+ (eq. 7), R alone otherwise,
each min-max scaled over the test images of a video (of a category on MVTec AD) before
fusion; the weights are `models.<model>.score.terms`."""
from pipeline.evaluation.plan import terms_plan as score_plan  # noqa: F401


def model_lists(params: dict, model: str) -> tuple[str, ...]:
    return ("daad_models", "daad_image_models")
