"""The cost plan's arithmetic on hand-computed cases: work per stage from the published
dataset sizes, the list-schedule makespan, stage names, and which GPU a worker's stages see."""
import pytest

from pipeline.fanout.execute import gpu_of
from pipeline.fanout.cluster import gpu_worker_names, parse_gpus, visible_gpus
from pipeline.fanout.plan import FIXED_SECONDS, OFFICIAL_2080TI, makespan, stage_cost, stage_kind
from pipeline.io import InputError
from pipeline.params import load_params

from conftest import ROOT


def test_stage_names_split_into_kind_dataset_and_model():
    assert stage_kind("train_memory@shanghaitech-pred_mem-2") == ("train", "shanghaitech", "pred_mem")
    assert stage_kind("infer_clip@ped2-lntra_skip-0") == ("infer", "ped2", "lntra_skip")
    assert stage_kind("score_clip@ped2-lntra_skip") == ("score", "ped2", "lntra_skip")
    assert stage_kind("infer_released@ped2-pred_mem") == ("infer", "ped2", "pred_mem")
    assert stage_kind("prepare@synthetic") == ("prepare", "synthetic", None)
    assert stage_kind("report") == ("report", None, None)


def test_training_work_is_clips_times_epochs_of_one_seed_at_the_published_size(tmp_path):
    params = load_params(ROOT / "params.yaml")
    params.update(profile="paper", seeds=[0, 1, 2])
    rates = {"mnad/prediction": (10.0, 100.0), "clip_ae": (5.0, 50.0)}
    # Ped2: 2,550 training frames in 16 videos; prediction clips span 5 frames: 2550 - 16 * 4 = 2486
    cost = stage_cost("train_memory@ped2-pred_mem-1", params, rates, tmp_path)
    assert cost.units == 2486 * 60 and cost.seconds == pytest.approx(FIXED_SECONDS + 2486 * 60 / 10.0)
    # LNTRA's own paper setting: 60 epochs (its by_profile), 16-frame clips: 2550 - 16 * 15
    assert stage_cost("train_clip@ped2-lntra_skip-0", params, rates, tmp_path).units == (2550 - 16 * 15) * 60
    # a memory model is scored twice (the test-time-update ablation): Ped2's 2,010 test frames
    infer = stage_cost("infer_memory@ped2-pred_mem-2", params, rates, tmp_path)
    assert infer.units == 2010 * 2 and infer.seconds == pytest.approx(FIXED_SECONDS + 2010 * 2 / 100.0)
    # a table may carry its own fixed cost per stage (a calibration measures it)
    assert stage_cost("train_memory@ped2-pred_mem-1", params, {**rates, "stage_seconds": 2.0},
                      tmp_path).seconds == pytest.approx(2.0 + 2486 * 60 / 10.0)


def test_a_new_family_gets_a_plan_row_from_its_own_declarations(tmp_path, monkeypatch):
    """The plan names no family: a throwaway family, declared only by its spec's COSTS and
    its config's train_configs, is costed like any other."""
    import sys
    import types

    from pipeline import families
    from pipeline.engine.loop import LoopConfig
    from pipeline.families.costs import Costs

    package = "pipeline.families.toy_family"
    spec, config = types.ModuleType(f"{package}.spec"), types.ModuleType(f"{package}.config")
    spec.COSTS = Costs(probes=("toy",), sample_frames=lambda c: c["frames"], test_passes=lambda c: 3,
                       rate_key=lambda c: "fast")
    config.train_configs = lambda params, dataset, model, seed: ({"frames": 7}, None,
                                                                 LoopConfig(epochs=4, batch_size=2, checkpoint_every=1))
    monkeypatch.setitem(sys.modules, package, types.ModuleType(package))
    monkeypatch.setitem(sys.modules, f"{package}.spec", spec)
    monkeypatch.setitem(sys.modules, f"{package}.config", config)
    monkeypatch.setattr(families, "FAMILIES", (*families.FAMILIES, "toy_family"))
    params = load_params(ROOT / "params.yaml")
    params["models"]["toy"] = {"family": "toy_family", "train": {}}
    rates = {"toy_family/fast": (6.0, 30.0)}
    # Avenue's published 15,328 training frames in 16 videos; 7-frame samples: 15328 - 16 * 6 = 15232, x 4 epochs
    train = stage_cost("train_toy@avenue-toy-0", params, rates, tmp_path)
    assert (train.family, train.units) == ("toy_family", 15232 * 4)
    assert train.seconds == pytest.approx(FIXED_SECONDS + 15232 * 4 / 6.0)
    # 15,324 test frames, three passes each
    infer = stage_cost("infer_toy@avenue-toy-0", params, rates, tmp_path)
    assert infer.units == 15324 * 3 and infer.seconds == pytest.approx(FIXED_SECONDS + 15324 * 3 / 30.0)


def test_the_official_anchor_is_the_reports_own_table_1():
    # report Table 1: 1,498 minutes for 10 epochs of ShanghaiTech's 274,515 - 330 * 4 prediction clips
    assert OFFICIAL_2080TI["mnad/prediction"][0] == pytest.approx((274515 - 1320) * 10 / (1498 * 60))


def test_makespan_of_a_list_schedule_by_hand():
    # a -> b -> d and a -> c: with 2 workers b and c run side by side after a
    costs = {"a": 2.0, "b": 5.0, "c": 3.0, "d": 1.0}
    upstream = {"a": [], "b": ["a"], "c": ["a"], "d": ["b"]}
    assert makespan(costs, upstream, 1) == 11.0
    assert makespan(costs, upstream, 2) == 8.0        # 2 + 5 + 1
    # three independent stages of 4, 3, 3 on 2 workers: longest first -> 4 | 3 + 3 = 6
    assert makespan({"x": 4.0, "y": 3.0, "z": 3.0}, {"x": [], "y": [], "z": []}, 2) == 6.0


def test_a_local_gpu_worker_sees_only_its_gpu():
    assert gpu_worker_names(["0", "2"]) == ["gpu0", "gpu2"]
    assert gpu_worker_names(["1"], per_gpu=2) == ["gpu1.0", "gpu1.1"]
    uuid = "GPU-5d3c1b2a-0f1e-4c3b-9a8d-7e6f5a4b3c2d"
    assert [gpu_of(n) for n in ("gpu0", "gpu2", "gpu1.1", f"gpu{uuid}.0", "cpu0", "node3")] == [
        "0", "2", "1", uuid, None, None]


def test_gpus_are_those_the_shell_exposes():
    """Under CUDA_VISIBLE_DEVICES=2,3 `--gpus all` is physical GPUs 2 and 3 (not 0 and 1, which
    the user excluded), `--gpus 1` the second of them; CUDA's own parsing stops at the first
    entry it cannot read, and so does ours."""
    shell = {"CUDA_VISIBLE_DEVICES": "2,3"}
    assert parse_gpus("all", shell) == ["2", "3"] and parse_gpus("1", shell) == ["3"]
    assert [gpu_of(n) for n in gpu_worker_names(parse_gpus("all", shell), per_gpu=2)] == ["2", "2", "3", "3"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "1,x,2"}) == ["1"]
    with pytest.raises(InputError, match="there is no GPU 2"):
        parse_gpus("0,2", shell)
    with pytest.raises(InputError, match="no CUDA device is visible"):
        parse_gpus("all", {"CUDA_VISIBLE_DEVICES": ""})


def test_a_stage_on_a_dask_worker_gets_the_shells_thread_settings_not_the_nannys(monkeypatch):
    """Dask's nanny starts workers with OMP/MKL/OPENBLAS_NUM_THREADS=1; NumPy's BLAS results
    depend on its thread count, so a stage must see what `dvc repro` from the same shell
    would give it (unset stays unset), or its figures differ from a serial run's in bytes."""
    pytest.importorskip("distributed")
    import subprocess
    import sys

    from pipeline.fanout.execute import StageTask, _environment

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    # as the coordinator calls it: in a fresh interpreter, after a local cluster has started
    # (its nannies set OMP_NUM_THREADS=1 and the rest in the coordinator's own environment)
    probe = ("from pipeline.fanout.cluster import client_for\n"
             "from pipeline.fanout.execute import shell_values\n"
             "if __name__ == '__main__':\n"
             "    with client_for(workers=1):\n"
             "        print(repr(dict(shell_values())))\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    shell = eval(run.stdout.strip().splitlines()[-1])
    assert {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} <= set(shell)
    assert shell["OMP_NUM_THREADS"] is None and shell["MKL_NUM_THREADS"] == "3"
    task = StageTask("train@x", "true", ".", (), "log", "/repo", tuple(shell.items()))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")   # as inside a worker the nanny started
    monkeypatch.setenv("MKL_NUM_THREADS", "1")
    env = _environment(task, None)
    assert "OMP_NUM_THREADS" not in env and env["MKL_NUM_THREADS"] == "3"
    assert env["DVC_STAGE"] == "train@x"
