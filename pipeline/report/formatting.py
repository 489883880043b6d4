"""How the report writes numbers and rows, in one place: the page, the Markdown table and
the evidence lines use these and nothing else."""
from __future__ import annotations

import numpy as np
import pandas as pd


def missing(value) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)) or value is pd.NA


def fmt(value) -> str:
    """An AUC (or any number in [0, 1]) to three decimals; n/a when there is none."""
    return "n/a" if missing(value) else f"{value:.3f}"


def signed(value) -> str:
    """A difference, with its sign."""
    return "n/a" if missing(value) else f"{value:+.3f}"


def signed_interval(value, lo, hi) -> str:
    """A difference with its 95% interval: "+0.151 [+0.061, +0.242]"."""
    return f"{signed(value)} [{signed(lo)}, {signed(hi)}]"


def with_interval(value, lo, hi) -> str:
    """An AUC with its 95% interval when it has one: "0.812 [0.790, 0.834]"."""
    return f"{fmt(value)} [{fmt(lo)}, {fmt(hi)}]" if not missing(lo) else fmt(value)


def cell(value) -> str:
    """A table cell: floats to three decimals, anything else as text, n/a for nothing."""
    if missing(value):
        return "n/a"
    if isinstance(value, (float, np.floating)):
        return f"{value:.3f}"
    return str(value)


def row_name(model: str, variant: str = "") -> str:
    """A results row as the page names it: the model, and the inference-time ablation it is
    scored by, if any: "pred_mem (without test-time update)"."""
    return f"{model} ({variant})" if variant else model


def count(value) -> str:
    return "n/a" if missing(value) else f"{int(value):,}"
