"""Every reported number the audit compares with is checked against the seed texts."""
import re

import pandas as pd
import pytest

from conftest import ROOT
from pipeline.report.collect import AUC_METRICS, COST_METRICS, REFERENCE_FILE

SEEDS = ROOT.parent / "shared" / "seeds"
REFERENCE = pd.read_csv(REFERENCE_FILE, dtype=str)


def test_reference_file_is_well_formed():
    assert {"paper", "seed", "table", "row", "dataset", "model", "metric", "value", "as_printed", "reported_lambda",
            "mapping", "metric_basis"} <= set(REFERENCE.columns)
    assert set(REFERENCE.mapping) == {"stated", "inferred"}
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


def test_each_reported_auc_says_which_auc_it_is():
    auc = REFERENCE[REFERENCE.metric.isin(AUC_METRICS)]
    by_table = lambda prefix: set(auc[auc.table.str.startswith(prefix)].metric)   # noqa: E731
    assert by_table("LNTRA Table 1") == {"auc_pooled"}            # "one ROC curve" over the whole test set
    assert by_table("DAAD Table 3") == by_table("DAAD Table 1") == {"auc_mean_category", "auc_category"}
    assert by_table("DAAD Table 4") == {"auc_mean_category"}
    assert (auc.category.fillna("") != "").sum() == (auc.metric == "auc_category").sum() == 90
    assert by_table("MemAE Table 1") == by_table("DAAD Table 2") == {"auc_mean_oneclass"}
    daad_own = auc[auc.table.str.startswith("DAAD Table 6") & auc.model.str.startswith("daad")]
    assert set(daad_own.metric) == {"auc_unstated"} and len(daad_own) == 4
    assert (auc.metric_basis.fillna("") != "").all()


def test_mappings_the_papers_do_not_state_are_marked_inferred():
    inferred = REFERENCE[REFERENCE.mapping == "inferred"]
    assert "report sec. 5" in set(inferred.table)
    assert set(inferred[inferred.paper == "DAAD"].row) >= {"Ours", "AE"}
    assert not (REFERENCE[REFERENCE.table.str.startswith("MNAD Table 1")].mapping == "inferred").any()


def test_lambda_and_batch_as_the_report_prints_them():
    t5 = REFERENCE[REFERENCE.table.str.startswith("report Table 5")]
    assert t5.note.str.contains("batch").all()
    ped2_pred = t5[(t5.dataset == "ped2") & (t5.model == "pred")].note.iloc[0]
    assert ped2_pred.endswith("batch 4")                                     # only the first row used 2
    for r in REFERENCE[REFERENCE.table.str.startswith(("report Table 6", "report Table 7"))].itertuples():
        assert f"lambda {r.reported_lambda}" == r.note


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed papers not found at {SEEDS}")
def test_daad_per_category_rows_sit_in_their_category_and_model_column():
    lines = (SEEDS / "daad-paper.txt").read_text().splitlines()
    table3 = {line.split("|")[1].strip().lower().replace(" ", "_"): [v.strip() for v in line.split("|")[2:7]]
              for line in lines if line.startswith("| ") and line.count("|") == 7}
    columns = {"daad_ae": 0, "daad_memae": 1, "daad_skip": 2, "daad": 3, "daad_adv": 4}
    rows = REFERENCE[REFERENCE.table.str.startswith("DAAD Table 3") & (REFERENCE.metric == "auc_category")]
    assert len(rows) == 75 and len(set(rows.category)) == 15 and set(rows.category) <= set(table3)
    for r in rows.itertuples():
        assert table3[r.category][columns[r.model]] == r.as_printed, (r.category, r.model)
    ours = REFERENCE[REFERENCE.table.str.startswith("DAAD Table 1") & (REFERENCE.metric == "auc_category")]
    assert len(ours) == 15 and set(ours.category) == set(rows.category) and set(ours.mapping) == {"inferred"}
