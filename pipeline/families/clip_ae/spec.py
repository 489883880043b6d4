"""How MemAE / LNTRA outputs are scored: `models.<model>.score.terms` over the clip signals
(MemAE eq. 11: the clip's reconstruction error; LNTRA eq. 10: the 9th frame's PSNR), each
min-max normalised per video."""
from pipeline.evaluation.plan import terms_plan as score_plan  # noqa: F401
from pipeline.families.costs import Costs


def clip_frames(config) -> int:
    """A training sample is one clip (16 frames in both papers)."""
    return config.frames


COSTS = Costs(probes=("memae",), sample_frames=clip_frames)

