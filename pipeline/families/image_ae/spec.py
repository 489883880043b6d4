"""How the image track is scored: the image's reconstruction error (`models.<model>.score.terms`),
min-max scaled over its class's test set (MemAE sec. 4.1)."""
from pipeline.evaluation.plan import terms_plan as score_plan  # noqa: F401
from pipeline.families.costs import Costs

COSTS = Costs(probes=("memae_img",))

