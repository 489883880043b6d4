"""What the cost plan needs to know of a family (pipeline.fanout.plan and its calibration),
declared by each family's spec as `COSTS`. No torch here: the functions read the family's
typed model config (the first value its config.train_configs returns)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


def one(_config: Any) -> int:
    return 1


def family_rate(_config: Any) -> str:
    return ""


@dataclass(frozen=True)
class Costs:
    probes: tuple[str, ...]                     # params.yaml models the calibration times: one per rate key
    sample_frames: Callable[[Any], int] = one   # consecutive frames one training sample holds
    test_passes: Callable[[Any], int] = one     # network passes per test frame
    rate_key: Callable[[Any], str] = family_rate  # which of the family's measured rates a model runs at ("": the one)

    def rate_name(self, family: str, config: Any) -> str:
        """The key of a model's rates in a throughput table: `<family>` or `<family>/<key>`."""
        key = self.rate_key(config)
        return f"{family}/{key}" if key else family
