"""How DAAD's outputs are scored: A = 0.9 R + 0.1 L for DAAD+ (eq. 7), R alone otherwise,
each min-max scaled over the test images of a video (of a category on MVTec AD) before
fusion; the weights are `models.<model>.score.terms`. A score with the alignment term L is
also given without it (R alone): DAAD Table 5's rows with and without L(x) are the same
trained networks scored two ways."""
from pipeline.evaluation.plan import Ablation, ScorePlan, terms_plan
from pipeline.families.costs import Costs

RECONSTRUCTION_ONLY = "reconstruction score only"
COSTS = Costs(probes=("daad_adv",))


def score_plan(params: dict, model: str) -> ScorePlan:
    plan = terms_plan(params, model)
    if set(plan.terms) - {"recon_error"}:
        return ScorePlan(plan.terms, plan.normalisation, ablations=(Ablation(RECONSTRUCTION_ONLY, {"recon_error": 1.0}),))
    return plan

