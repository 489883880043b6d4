"""The kinds of claim (declared in pipeline.report.catalogue; judged by
pipeline.report.judging).

A claim is judged on exactly the datasets its sentence names (`datasets`); its pairs on any
other dataset of the run are shown as information, never judged. A claim the audit poses
itself, on data the paper never used (the generated set, the digits), is the audit's own
hypothesis derived from the paper (origin AUDIT) and is labelled so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.data.datasets import VIDEO_BENCHMARKS
from pipeline.report.evidence import Row
from pipeline.report.verdicts import ALL, PAPER

BENCHMARKS = VIDEO_BENCHMARKS   # where a claim about video anomaly detection is judged unless it names datasets
IMPROVES, NO_BETTER = "improves", "no better"      # a pair's direction: A improves on B, or A fails to improve on B


@dataclass(frozen=True)
class Source:
    """Where a paper says it: the paper, its section or table, and the words as printed
    (checked against the seed texts by tests/test_report.py)."""
    paper: str
    where: str
    quote: str


@dataclass(frozen=True)
class Pair:
    """Row A is compared with row B (a model's name: the model as configured); `kind`: on
    the frames of one anomaly type only."""
    a: Row | str
    b: Row | str
    kind: str | None = None

    def __post_init__(self):
        for side in ("a", "b"):
            if isinstance(getattr(self, side), str):
                object.__setattr__(self, side, Row(getattr(self, side)))


@dataclass(frozen=True)
class Comparative:
    """For each pair, A improves on B (or, NO_BETTER, fails to), judged on `datasets`.
    `table`: the reference rows whose difference is the paper's own effect size (a prefix of
    their `table`); `stated`: differences the text states instead, {dataset: (value, where)}
    for the first pair; `vary_update`: the pairs differ in the test-time update (empty if no
    frame updated the memory)."""
    id: str
    source: Source
    claim: str
    pairs: tuple[Pair, ...]
    datasets: tuple[str, ...] = BENCHMARKS
    table: str | None = None
    direction: str = IMPROVES
    vary_update: bool = False
    quorum: str = ALL
    origin: str = PAPER
    note: str = ""
    stated: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NotJudged:
    """A claim no run of this audit can test as stated, and why."""
    id: str
    source: Source
    claim: str
    reason: str


@dataclass(frozen=True)
class Pending:
    """A claim the audit could test but does not yet: what it would need (a variant or a
    measurement not implemented)."""
    id: str
    source: Source
    claim: str
    needs: str


@dataclass(frozen=True)
class Special:
    """A claim with its own rule (a function of this module, named by `rule`), judged on
    `datasets`; `expected`: what the claim says of each (for rules that read it)."""
    id: str
    source: Source
    claim: str
    rule: str
    datasets: tuple[str, ...] = ()
    origin: str = PAPER
    expected: dict = field(default_factory=dict)
