"""What verdicts rest on besides the results table, read on demand from the score and
figure stages' outputs: every seed's per-frame scores (scores.csv, ablations as extra
columns) and every seed's memory usage per test video (memory_usage.csv)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.evaluation.evaluate import ABLATION_PREFIX
from pipeline.evaluation.paired import Usage, usage_from_rows
from pipeline.report.formatting import row_name


@dataclass(frozen=True)
class Row:
    """A row of the results: a trained model scored as configured (variant ""), or by one of
    its inference-time ablations (variant: the ablation's label, e.g. "without test-time
    update"; pipeline.evaluation.plan.Ablation)."""
    model: str
    variant: str = ""

    def __str__(self) -> str:
        return row_name(self.model, self.variant)


class Evidence:
    """What verdicts rest on besides the results table, read on demand: every seed's
    per-frame scores (scores.csv, ablations as extra columns) and every seed's memory usage
    per test video (memory_usage.csv)."""

    def __init__(self, score_root: Path, figure_root: Path):
        self.score_root, self.figure_root = Path(score_root), Path(figure_root)
        self._scores: dict[tuple[str, str], pd.DataFrame | None] = {}

    def _table(self, dataset: str, model: str) -> pd.DataFrame | None:
        if (dataset, model) not in self._scores:
            path = self.score_root / dataset / model / "scores.csv"
            self._scores[dataset, model] = (pd.read_csv(path, dtype={"video": str, "anomaly_type": str})
                                            if path.exists() else None)
        return self._scores[dataset, model]

    def scores(self, dataset: str, row: Row) -> pd.DataFrame | None:
        """Frames (seed, video, label, anomaly_type, score) of a results row: a model as
        configured, or one of its inference-time ablations (an extra column of scores.csv)."""
        column = ABLATION_PREFIX + row.variant if row.variant else "score"
        table = self._table(dataset, row.model)
        if table is None or column not in table:
            return None
        return table[["seed", "video", "frame", "label", "anomaly_type"]].assign(score=table[column])

    def usage(self, dataset: str, model: str) -> Usage | None:
        path = self.figure_root / dataset / model / "memory_usage.csv"
        return usage_from_rows(pd.read_csv(path, dtype={"video": str})) if path.exists() else None
