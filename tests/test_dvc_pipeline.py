"""The DAG run for real: `dvc repro` on a tiny config in a temp git repo, then the cache
behaviour the audit relies on (what re-runs when `lambda`, `supervision`, `seeds` or a key
that never changes a result changes)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _workspace import make_workspace  # noqa: E402  (the same copy the benchmarks run in)

MEMORY_MODELS = ["pred_mem", "recon_mem"]
CLIP_MODELS = ["memae", "lntra_skip"]
DAAD_MODELS = ["daad_adv"]
ONECLASS_MODELS = ["memae_img"]


def workspace_env() -> dict:
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t",
                DVC_NO_ANALYTICS="1")


def _run(args, cwd, env):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result.stdout


def tiny_params(params: dict) -> None:
    """The whole DAG, every family, one seed, at a size that runs in about a minute."""
    params.update(seeds=[0], memory_models=MEMORY_MODELS, clip_models=CLIP_MODELS, daad_models=DAAD_MODELS,
                  oneclass_models=ONECLASS_MODELS)
    cpu = params["profiles"]["cpu"]
    cpu["image_ae"]["epochs"] = {"digits": 1}
    cpu["mnad"]["model"] = {"image_size": 32, "width": 4}
    cpu["mnad"]["epochs"]["synthetic"] = 1
    cpu["clip_ae"].update(model={"image_size": 32, "widths": [4, 6, 8, 8]}, epochs={"synthetic": 1})
    cpu["daad"].update(model={"image_size": 32, "width": 4, "num_items": 8}, epochs={"synthetic": 1, "mvtec": 1})
    params["prepare"]["synthetic"].update(size=32, frames_per_video=24, train_videos=2, test_videos_per_type=1,
                                          radius=4, speed=2, fast_speed=4, anomaly_length=6)
    params["figures"].update(tsne_points=150, perplexity=10)


def _set_param(repo: Path, key: str, value) -> None:
    """Set a params.yaml key (dotted: a key inside a section)."""
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    *sections, last = key.split(".")
    section = params
    for name in sections:
        section = section[name]
    section[last] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def _name(address: str) -> str:
    """DVC's address of a stage in dag/*/dvc.yaml (dag/score/dvc.yaml:score@...) -> its name."""
    return address.rsplit(":", 1)[-1]


def _stages_run(output: str) -> set[str]:
    return {_name(line.split("'")[1]) for line in output.splitlines() if line.startswith("Running stage")}


def _status(repo: Path, env, dvc) -> set[str]:
    """The stages `dvc status` finds changed, by name."""
    return {_name(address) for address in json.loads(_run(dvc + ["status", "--json"], repo, env))}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = make_workspace(tmp_path_factory.mktemp("audit") / "repo", tiny_params, commit=True)
    env = workspace_env()
    dvc = [sys.executable, "-m", "dvc"]
    first = _run(dvc + ["repro"], repo, env)
    return repo, env, dvc, first


def test_repro_builds_the_whole_audit(repo):
    repo, _, _, first = repo
    ran = _stages_run(first)
    models = 4 + len(CLIP_MODELS) + len(DAAD_MODELS) + len(ONECLASS_MODELS)
    assert {"prepare@synthetic", "prepare_oneclass@digits", "daad_toy", "report"} <= ran
    assert len(ran) == 2 + 3 * models + 2
    table = pd.read_csv(repo / "reports" / "auc_table.csv", dtype={"variant": str}, keep_default_na=False)
    configured = table[table.variant == ""]
    assert sorted(configured.model) == sorted(
        ["pred", "pred_mem", "recon", "recon_mem", *CLIP_MODELS, *DAAD_MODELS, *ONECLASS_MODELS])
    assert configured.set_index("model").loc["memae", "protocol"].startswith("frames 9..T-7")
    assert ("pred_mem", "without test-time update") in set(zip(table.model, table.variant))
    assert pd.to_numeric(table.auc_micro).notna().all()
    page = (repo / "reports" / "index.html").read_text()
    for model in MEMORY_MODELS:
        figures = repo / "runs" / "figures" / "synthetic" / model
        assert (figures / "memory_usage.png").exists() and (figures / "tsne.png").exists()
    assert page.count("<img") >= 2 * 5 + 2 * 3 and "http" not in page.split("<body>")[1].split("Provenance")[0]


def _output_hashes(repo: Path) -> dict[str, str]:
    return {f"{name}:{out['path']}": out["md5"] for lock in [repo / "dvc.lock", *repo.glob("dag/*/dvc.lock")]
            for name, stage in yaml.safe_load(lock.read_text())["stages"].items() for out in stage.get("outs", [])}


def test_a_forced_rerun_from_another_shell_and_under_load_gives_the_same_bytes(repo):
    """Every family trained and scored again in new processes, from a shell that asks every
    math library for other kernels and thread counts (the portable setting replaces them in
    each stage process) and with a busy process competing for the CPU: every output of every
    stage (checkpoints, frames.csv, figures, report) hashes the same, and every stage logged
    that it computed with the portable setting."""
    from test_numerics import HOSTILE

    from pipeline.numerics import PORTABLE_ENV

    repo, env, dvc, _ = repo
    before = _output_hashes(repo)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        _run(dvc + ["repro", "--force"], repo, dict(env, **HOSTILE))
    finally:
        busy.kill()
    after = _output_hashes(repo)
    assert len(before) > 30 and {k for k in before if before[k] != after.get(k)} == set()
    logs = sorted((repo / "runs" / "timings").rglob("*.json"))
    facts = {str(log.relative_to(repo)): json.loads(log.read_text())["numerics"] for log in logs}
    assert len(facts) == len(_run(dvc + ["stage", "list", "--all", "--name-only"], repo, env).split())
    assert {name for name, f in facts.items() if f["mode"] != "portable" or any(f[k] != v for k, v in PORTABLE_ENV.items())
            or f.get("torch_cpu_capability", "AVX2") != "AVX2"} == set()


def test_forcing_one_train_stage_leaves_everything_downstream_cached(repo):
    repo, env, dvc, _ = repo
    stage = f"train_memory@synthetic-{MEMORY_MODELS[0]}-0"
    address = f"dag/train/dvc.yaml:{stage}"
    assert _stages_run(_run(dvc + ["repro", "--force", "--single-item", address], repo, env)) == {stage}
    assert _status(repo, env, dvc) == set()
    assert _stages_run(_run(dvc + ["repro"], repo, env)) == set()


def test_lambda_invalidates_only_memory_scoring_and_what_follows(repo):
    repo, env, dvc, _ = repo
    _set_param(repo, "lambda", 0.65)  # differs from both paper values (0.6, 0.7)
    status = _status(repo, env, dvc)
    # the report lists lambda too: it prints the run's settings in its provenance section
    assert status == {f"score_memory@synthetic-{m}" for m in MEMORY_MODELS} | {"report"}
    ran = _stages_run(_run(dvc + ["repro"], repo, env))
    assert ran == {*(f"score_memory@synthetic-{m}" for m in MEMORY_MODELS),
                   "report"}
    metrics = json.loads((repo / "runs/score/synthetic/pred_mem/metrics.json").read_text())
    assert metrics["lambda"] == 0.65
    plain = json.loads((repo / "runs/score/synthetic/pred/metrics.json").read_text())
    assert plain["lambda"] is None  # models without memory never read lambda


def test_supervision_invalidates_only_memory_training_and_what_follows(repo):
    repo, env, dvc, _ = repo
    _set_param(repo, "supervision", True)
    status = _status(repo, env, dvc)
    assert status == {f"train_memory@synthetic-{m}-0" for m in MEMORY_MODELS} | {"report"}
    ran = _stages_run(_run(dvc + ["repro"], repo, env))
    expected = {f"{group}@synthetic-{m}-0" for group in ("train_memory", "infer_memory") for m in MEMORY_MODELS}
    assert ran == expected | {f"score_memory@synthetic-{m}" for m in MEMORY_MODELS} | {"report"}


def _score_stages(repo: Path, env, dvc) -> set[str]:
    listed = _run(dvc + ["stage", "list", "--all", "--name-only"], repo, env).split()
    return {_name(s) for s in listed if _name(s).startswith("score")}


def test_a_seed_added_runs_only_its_own_stages_and_a_seed_removed_only_the_scores(repo):
    """One stage per training seed: adding seed 1 trains and infers only seed 1 (every seed-0
    stage stays cached) and re-scores; removing it again re-runs only the scores and the report,
    which then read seed 0 alone although seed 1's folders are still on disk."""
    repo, env, dvc, _ = repo
    scores = _score_stages(repo, env, dvc)
    _set_param(repo, "seeds", [0, 1])
    status = _status(repo, env, dvc)
    assert not any(name.endswith("-0") for name in status), "every seed-0 stage stays cached"
    new_seed = {name for name in status if name.endswith("-1")}
    assert {n.split("@")[0] for n in new_seed} >= {"train", "train_memory", "train_clip", "infer_memory", "infer_clip"}
    assert status == new_seed | scores | {"report"}
    ran = _stages_run(_run(dvc + ["repro"], repo, env))
    assert ran == status
    metrics = json.loads((repo / "runs/score/synthetic/pred_mem/metrics.json").read_text())
    assert metrics["seeds"] == [0, 1] and len(metrics["auc_micro_per_seed"]) == 2
    _set_param(repo, "seeds", [0])
    assert _status(repo, env, dvc) == scores | {"report"}
    assert _stages_run(_run(dvc + ["repro"], repo, env)) == scores | {"report"}
    metrics = json.loads((repo / "runs/score/synthetic/pred_mem/metrics.json").read_text())
    assert metrics["seeds"] == [0] and (repo / "runs/infer/synthetic/pred_mem/seed_1").is_dir()


def test_loader_workers_change_no_stage(repo):
    """runtime.num_workers never changes a result (pipeline.params.RESULT_NEUTRAL): no stage,
    training included, depends on it."""
    repo, env, dvc, _ = repo
    _set_param(repo, "runtime.num_workers", 2)
    try:
        assert _status(repo, env, dvc) == set()
    finally:
        _set_param(repo, "runtime.num_workers", 0)


def test_exp_run_with_lambda_reuses_training_and_exp_show_lists_auc(repo):
    repo, env, dvc, _ = repo
    _run(["git", "add", "-A"], repo, env)
    _run(["git", "commit", "-qm", "baseline results"], repo, env)
    ran = _stages_run(_run(dvc + ["exp", "run", "-S", "lambda=0.5"], repo, env))
    assert "report" in ran and not any(stage.startswith(("train", "infer", "prepare")) for stage in ran)
    shown = json.loads(_run(dvc + ["exp", "show", "--json"], repo, env))
    workspace = shown[0]["data"]
    assert workspace["params"]["params.yaml"]["data"]["lambda"] == 0.5
    # DVC's metrics are the report's headline AUCs only, not the detailed per-model files
    assert list(workspace["metrics"]) == ["reports/summary.json"]
    assert "micro" in workspace["metrics"]["reports/summary.json"]["data"]["synthetic"]["pred_mem"]


def test_released_checkpoints_are_imported_scored_and_reported(repo):
    """Official-format files (MNAD's pickled model + keys.pt, LNTRA's train.py dict) put in
    data/raw/checkpoints and named in params `released`: only their stages and the report
    run, the report shows them; changing one file re-runs only its own chain."""
    from fixtures.official_checkpoints import save_lntra, save_mnad

    repo, env, dvc, _ = repo
    raw = repo / "data" / "raw" / "checkpoints"
    save_mnad(raw / "mnad" / "synthetic" / "pred_mem", "prediction", width=8)
    save_lntra(raw / "clip_ae" / "synthetic" / "lntra_skip" / "model_59.pth", (4, 6, 8, 8))
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["released"] = {
        "memory_models": {"synthetic-pred_mem": {"dataset": "synthetic", "model": "pred_mem",
                                                 "size": {"width": 8, "image_size": 32}}},
        "plain_models": {},
        "clip_models": {"synthetic-lntra_skip": {"dataset": "synthetic", "model": "lntra_skip",
                                                 "size": {"widths": [4, 6, 8, 8], "image_size": 32}}}}
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    ran = _stages_run(_run(dvc + ["repro"], repo, env))
    chains = {"synthetic-pred_mem": "", "synthetic-lntra_skip": "_clip"}
    assert ran == {f"{kind}{suffix}@{key}" for key, suffix in chains.items()
                   for kind in ("import_released", "infer_released", "score_released")} | {"report"}
    metrics = json.loads((repo / "runs/score/synthetic/released/pred_mem/metrics.json").read_text())
    assert set(metrics["weights"]["files"]) == {"model.pth", "keys.pt"} and 0 <= metrics["auc_micro"] <= 1
    assert "without test-time update" in metrics["ablations"]  # lambda and the ablations apply as to our models
    weights = pd.read_csv(repo / "reports" / "released_weights.csv").set_index(["dataset", "model"])
    assert weights.loc[("synthetic", "lntra_skip"), "paper"] == "your run"
    assert weights.loc[("ped2", "lntra_skip"), "released weights [95% CI]"].startswith("no checkpoint in")
    page = (repo / "reports" / "index.html").read_text()
    assert "Released weights vs retrained vs reported" in page and "model_59.pth" not in page.split("<body>")[0]
    save_lntra(raw / "clip_ae" / "synthetic" / "lntra_skip" / "model_59.pth", (4, 6, 8, 8), seed=1)
    ran = _stages_run(_run(dvc + ["repro"], repo, env))
    assert ran == {f"{kind}_clip@synthetic-lntra_skip" for kind in ("import_released", "infer_released",
                                                                     "score_released")} | {"report"}


def test_repro_with_shanghaitech_and_mvtec_layouts_adds_their_rows(tmp_path):
    """datasets: [synthetic, shanghaitech] and image_datasets: [mvtec], with tiny copies of
    both layouts in data/raw."""
    from fixtures import layouts

    def with_benchmarks(params: dict) -> None:
        tiny_params(params)
        params.update(datasets=["synthetic", "shanghaitech"], memory_models=["pred_mem"], plain_models=["recon"],
                      clip_models=[], daad_models=[], oneclass_datasets=[], image_datasets=["mvtec"],
                      daad_image_models=["daad", "daad_ae"])
        params["prepare"]["shanghaitech"] = {"size": 32, "workers": 2}
        params["prepare"]["mvtec"] = {"size": 32}

    repo = make_workspace(tmp_path / "repo", with_benchmarks)
    layouts.shanghaitech(repo / "data" / "raw" / "shanghaitech", train_lengths=(16, 18), test_lengths=(14, 15))
    layouts.mvtec(repo / "data" / "raw" / "mvtec")
    env = workspace_env()
    ran = _stages_run(_run([sys.executable, "-m", "dvc", "repro"], repo, env))
    assert {"prepare@shanghaitech", "train_memory@shanghaitech-pred_mem-0", "score@shanghaitech-recon",
            "prepare_images@mvtec", "train_daad_images@mvtec-daad-0", "score_daad_images@mvtec-daad_ae"} <= ran
    assert (repo / "runs" / "train" / "mvtec" / "daad" / "seed_0" / "bottle" / "final.pt").exists()  # per category
    table = pd.read_csv(repo / "reports" / "auc_table.csv")
    assert {"pred_mem", "recon"} <= set(table[table.dataset == "shanghaitech"].model)
    comparison = pd.read_csv(repo / "reports" / "reference_comparison.csv")
    tested = comparison[(comparison.dataset == "shanghaitech") & (comparison.verdict != "not tested yet")]
    assert {"pred_mem", "recon"} <= set(tested.model), "ShanghaiTech rows are compared with the reported numbers"
    mvtec = comparison[(comparison.dataset == "mvtec") & (comparison.verdict != "not tested yet")]
    assert set(mvtec.model) == {"daad", "daad_ae"} and mvtec.ours.notna().all()
