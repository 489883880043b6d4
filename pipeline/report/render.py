"""The audit page, reports/index.html: the view (pipeline.report.view: tables, figures, the
numbers the prose quotes) rendered by the Jinja2 template templates/page.html with every
value escaped. Images are embedded (base64) and the CSS and scripts inlined, so the page is
one self-contained file that works offline; the one side file, timings.js, carries the run's
wall times (pipeline.report.provenance)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from pipeline.report import provenance, view
from pipeline.report.implementations import IMPLEMENTATION_NOTES
from pipeline.report.verdicts import AUDIT, OUTCOMES, OVERALL, ClaimSettings, Verdict

TEMPLATES = Path(__file__).with_name("templates")
SECTIONS = (("summary", "Claims at a glance"),
            ("results", "Headline results: frame-level AUC per dataset and model"),
            ("claims", "Claims and their evidence"),
            ("reported", "Ours versus reported numbers"),
            ("released", "Released weights vs retrained vs reported"),
            ("cost", "Cost: size, training time, inference speed"),
            ("lambda", "Lambda sweep (eq. 16)"),
            ("memory", "Memory usage and feature space"),
            ("models", "Per model"),
            ("toy", "DAAD Fig. 1 toy: block size against what gets rebuilt"),
            ("implementation", "Implementations: what follows the papers, the official code, or a choice"),
            ("provenance", "Provenance"))
COST_COLUMNS = ["model", "metric", "value", "dataset", "table", "note"]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Autoescape everything; an undefined name in a template is an error, not an empty string."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.globals.update(asset=lambda name: Markup((TEMPLATES / name).read_text()), percent=lambda x: f"{x:.1%}")
    return env


@dataclass
class Inputs:
    """Everything the page shows, as the report stage collected and judged it."""
    results: pd.DataFrame
    comparison: pd.DataFrame
    verdicts: list[Verdict]
    sweeps: pd.DataFrame
    figure_root: Path
    summaries: dict
    provenance_settings: dict
    settings: ClaimSettings
    toy_root: Path | None = None
    weights: pd.DataFrame | None = None
    reported_cost: pd.DataFrame | None = None


def summary_numbers(verdicts: list[Verdict], seeds: list[int], settings: ClaimSettings) -> dict:
    """The matrix's header: how many of each outcome, tests and claims, and whether any model
    has too few seeds for a verdict."""
    counts = pd.Series([v.verdict for v in verdicts]).value_counts().to_dict()
    return {"counts": ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts.get(o)),
            "seeds": f"{', '.join(map(str, seeds))} training seed{'s' if seeds != [1] else ''} per model",
            "few_seeds": any(n < settings.min_seeds for n in seeds),
            "tests": sum(v.tests for v in verdicts), "claims": sum(1 for v in verdicts if v.tests)}


def page_view(i: Inputs) -> dict:
    columns, rows = view.verdict_matrix(i.verdicts)
    main, how, untested, untested_count = view.reported_tables(i.comparison)
    released, imported, published = view.released_view(i.weights)
    hashes = provenance.prepared_hashes()
    return {
        "sections": SECTIONS, "titles": dict(SECTIONS), "s": i.settings, "overall": OVERALL, "audit": AUDIT, "verdicts": i.verdicts,
        "summary": summary_numbers(i.verdicts, sorted(set(i.results.seeds)), i.settings),
        "matrix_columns": columns, "matrix_rows": rows,
        "headline": view.table(view.headline_table(i.results, i.comparison)),
        "constant_signals": view.constant_signals(i.results), "per_type": view.per_type_tables(i.results),
        "how_made": view.how_made_table(i.results), "ablations": view.ablations_table(i.results),
        "reported": {"main": main, "how": how, "untested": untested, "untested_count": untested_count},
        "released": {"table": released, "imported": imported, "published": published},
        "profile": str(i.provenance_settings.get("profile", "")),
        "cost": view.cost_table(i.results, i.reported_cost if i.reported_cost is not None
                                else pd.DataFrame(columns=COST_COLUMNS)),
        "sweeps": view.sweep_sections(i.sweeps) if not i.sweeps.empty else [],
        "memory_table": view.memory_table(i.summaries),
        "side_by_side": view.side_by_side(i.figure_root, sorted(i.results.dataset.unique())),
        "per_model": view.per_model(i.figure_root, i.summaries), "toy": view.toy_view(i.toy_root),
        "implementation": IMPLEMENTATION_NOTES,
        "provenance": [(k, str(v)) for k, v in provenance.facts(i.provenance_settings).items()],
        "hashes": view.table(hashes) if len(hashes) else None, "timings_script": provenance.TIMINGS_SCRIPT,
    }


def render(inputs: Inputs) -> str:
    return environment().get_template("page.html").render(page_view(inputs))
