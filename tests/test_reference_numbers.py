"""Every reported number the audit compares with is checked against the seed texts."""
import re

import pandas as pd
import pytest

from conftest import ROOT
from pipeline.report.collect import AUC_METRICS, COST_METRICS, REFERENCE_FILE

SEEDS = ROOT.parent / "shared" / "seeds"
REFERENCE = pd.read_csv(REFERENCE_FILE, dtype=str)


def test_reference_file_is_well_formed():
    assert {"paper", "seed", "table", "row", "dataset", "model", "metric", "value", "as_printed"} <= set(REFERENCE.columns)
    values = REFERENCE.value.astype(float)
    aucs = REFERENCE.metric.isin(AUC_METRICS)
    assert values[aucs].between(0, 1).all() and (values[~aucs] > 0).all()
    assert set(REFERENCE.metric) == set(AUC_METRICS) | set(COST_METRICS)
    for printed, value in zip(REFERENCE.as_printed, values):
        number = float(re.match(r"[\d.]+", printed).group()) / (100 if printed.endswith("%") else 1)
        assert number == pytest.approx(value, abs=5e-5), printed
    for table in ("MNAD Table 1", "report Table 4", "report Table 5", "report Table 6", "report Table 7", "report Table 8",
                  "report Table 9", "MemAE Table 2", "MemAE Table 4", "LNTRA Table 1", "report Table 1 (training time",
                  "report Table 2", "report Table 3", "MNAD sec. 4.2", "MemAE sec. 4.2"):
        assert REFERENCE.table.str.startswith(table).any(), table


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed papers not found at {SEEDS}")
@pytest.mark.parametrize("row", REFERENCE.to_dict("records"), ids=lambda r: f"{r['table'][:20]}-{r['row'][:25]}-{r['dataset']}")
def test_number_is_printed_in_its_seed(row):
    text = (SEEDS / row["seed"]).read_text()
    assert row["as_printed"] in text, f"{row['as_printed']} not in {row['seed']}"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed papers not found at {SEEDS}")
@pytest.mark.parametrize("row", REFERENCE[REFERENCE.paper.isin(["MemAE", "LNTRA"]) & REFERENCE.metric.isin(AUC_METRICS)].to_dict("records"),
                         ids=lambda r: f"{r['paper']}-{r['row'][:25]}-{r['dataset']}")
def test_tabular_rows_have_label_and_number_on_one_line(row):
    """Where the seed keeps a table row on one line, the number sits next to its row label."""
    lines = (SEEDS / row["seed"]).read_text().splitlines()
    label = row["row"].replace("AE-l1", "AE- $\\ell_1$")
    assert any(line.strip().startswith(label) and row["as_printed"] in line for line in lines)
