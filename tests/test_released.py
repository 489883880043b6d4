"""Importing the official checkpoint formats (pipeline.engine.released and the families'
released.py): files written by stand-ins under the official names, exactly as the official
scripts save them, must give our networks the stand-ins' outputs; anything else stops with
one line, and a pickle naming any other callable is refused before it runs."""
from __future__ import annotations

import os
import pickle
import sys

import pytest
import torch
import torch.nn.functional as F

from pipeline.families.checkpoints import load_checkpoint
from pipeline.engine.released import import_released, load_official
from pipeline.families.clip_ae.model import MemAE, MemAEConfig
from pipeline.families.clip_ae.released import import_checkpoint as import_clip
from pipeline.families.mnad.model import MNAD, MNADConfig
from pipeline.families.mnad.released import import_checkpoint as import_mnad
from pipeline.io import InputError
from tests.fixtures.official_checkpoints import save_lntra, save_memae, save_mnad

WIDTH = 8
CLIP_WIDTHS = (8, 8, 16, 16)


def _mnad(task="prediction", memory=True, decoder="official", width=WIDTH) -> MNAD:
    return MNAD(MNADConfig(task=task, memory=memory, decoder=decoder, width=width, image_size=32))


@pytest.mark.filterwarnings("ignore:Couldn't retrieve source code")
@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_mnad_prediction_with_memory_gives_the_stand_in_outputs(tmp_path, legacy):
    official = save_mnad(tmp_path, "prediction", WIDTH, legacy=legacy)
    assert not any(name == "model" or name.startswith("model.") for name in sys.modules)
    imported = import_mnad(tmp_path, _mnad())
    ours = imported.model.eval()
    x = torch.randn(2, 12, 32, 32)
    with torch.no_grad():
        feature, c1, c2, c3 = official.encoder(x)
        our_feature, our_skips = ours.encoder(x)
        assert torch.equal(feature, our_feature)
        assert all(torch.equal(a, b) for a, b in zip((c1, c2, c3), our_skips))
        decoder_in = torch.cat((F.normalize(feature, dim=1), torch.randn_like(feature)), dim=1)
        assert torch.equal(official.decoder(decoder_in, c1, c2, c3), ours.decoder(decoder_in, our_skips))
    assert torch.equal(imported.items, torch.load(tmp_path / "keys.pt"))
    assert imported.facts["format"] == "whole pickled model"
    assert "model.final_future_prediction_with_memory_spatial_sumonly_weight_ranking_top1.convAE" in \
        imported.facts["classes"]
    assert set(imported.facts["files"]) == {"model.pth", "keys.pt"}
    # everything but the unused moduleBatchNorm was taken
    n_official = sum(p.numel() for p in official.parameters())
    assert sum(p.numel() for p in ours.parameters()) == n_official - 2 * 8 * WIDTH


@pytest.mark.parametrize("kind, decoder", [("reconstruction", "official"), ("reconstruction_report", "report")])
def test_mnad_reconstruction_files_give_the_stand_in_outputs(tmp_path, kind, decoder):
    official = save_mnad(tmp_path, kind, WIDTH, items_name="m_items.pt")
    ours = import_mnad(tmp_path, _mnad("reconstruction", decoder=decoder)).model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        feature = official.encoder(x)[0]
        decoder_in = torch.cat((F.normalize(feature, dim=1), torch.randn_like(feature)), dim=1)
        assert torch.equal(official.decoder(decoder_in), ours.decoder(decoder_in, ours.encoder(x)[1]))


def test_the_official_paper_size_network_imports_in_full(tmp_path):
    save_mnad(tmp_path, "prediction", width=64)
    ours = import_mnad(tmp_path, _mnad(width=64)).model
    assert sum(p.numel() for p in ours.parameters()) == 15_650_819  # MNAD prediction with memory, official code


def test_mnad_without_memory_needs_no_items_and_refuses_a_stray_items_file(tmp_path):
    save_mnad(tmp_path, "prediction", WIDTH, memory=False)
    assert import_mnad(tmp_path, _mnad(memory=False)).items is None
    torch.save(torch.zeros(10, 64), tmp_path / "keys.pt")
    with pytest.raises(InputError, match="models without memory have none"):
        import_mnad(tmp_path, _mnad(memory=False))


def test_mnad_file_of_another_variant_stops_with_one_line_naming_file_and_difference(tmp_path):
    save_mnad(tmp_path, "prediction", WIDTH)
    with pytest.raises(InputError) as err:
        import_mnad(tmp_path, _mnad("reconstruction"))  # a reconstruction model of the same width
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "model.pth") in message
    assert "another shape" in message and "encoder.conv1.0.weight" in message
    with pytest.raises(InputError, match=r"decoder.conv.0.weight is \(64, 128, 3, 3\) there, \(64, 64, 3, 3\) here"):
        import_mnad(tmp_path, _mnad(memory=False))  # the memory model's decoder takes 2C channels


def test_mnad_items_of_the_wrong_shape_or_missing_are_named(tmp_path):
    save_mnad(tmp_path, "prediction", WIDTH)
    torch.save(torch.zeros(10, 7), tmp_path / "keys.pt")
    with pytest.raises(InputError, match=r"keys.pt: memory items of shape \(10, 7\), expected \(10, 64\)"):
        import_mnad(tmp_path, _mnad())
    (tmp_path / "keys.pt").unlink()
    with pytest.raises(InputError, match="expected one memory items file .* found none"):
        import_mnad(tmp_path, _mnad())


class NotATensor:  # what a malicious or mistaken items file could pickle
    pass


def test_an_items_file_that_pickles_anything_else_is_refused_naming_the_global(tmp_path):
    save_mnad(tmp_path, "prediction", WIDTH)
    torch.save({"items": NotATensor()}, tmp_path / "keys.pt")
    with pytest.raises(InputError) as err:
        import_mnad(tmp_path, _mnad())
    message = str(err.value)
    assert "test_released.NotATensor" in message and "refused without loading it" in message
    assert "\n" not in message and message.endswith("as downloaded")


def test_memae_state_dict_gives_the_stand_in_outputs(tmp_path):
    official = save_memae(tmp_path / "memae.pt", CLIP_WIDTHS, num_items=20)
    ours = MemAE(MemAEConfig(widths=CLIP_WIDTHS, num_items=20, image_size=32))
    imported = import_clip(tmp_path, ours)
    assert imported.facts["format"] == "state_dict (MemAE)"
    x = torch.randn(1, 1, 16, 32, 32)
    ours.eval()
    with torch.no_grad():
        z = official.encoder(x)
        assert torch.equal(z, ours.encoder(x))
        assert torch.equal(official.decoder(z), ours.decoder(z))
    assert torch.equal(ours.memory.items, official.mem_rep.memory.weight)


@pytest.mark.parametrize("as_state_dict", [False, True], ids=["pickled DataParallel", "model_statedict"])
def test_lntra_checkpoints_give_the_stand_in_outputs(tmp_path, as_state_dict):
    official = save_lntra(tmp_path / "model_59.pth", CLIP_WIDTHS, as_state_dict=as_state_dict)
    ours = MemAE(MemAEConfig(memory=False, tanh_output=True, widths=CLIP_WIDTHS, image_size=32, init="pytorch"))
    imported = import_clip(tmp_path, ours)
    x = torch.randn(1, 1, 16, 32, 32)
    with torch.no_grad():
        assert torch.equal(official(x), ours.eval()(x)[0])
    if not as_state_dict:
        assert "torch.nn.parallel.data_parallel.DataParallel" in imported.facts["classes"]


def test_a_memae_file_in_an_lntra_folder_is_named_as_unexpected_memory(tmp_path):
    save_memae(tmp_path / "memae.pt", CLIP_WIDTHS, num_items=20)
    lntra = MemAE(MemAEConfig(memory=False, tanh_output=True, widths=CLIP_WIDTHS, image_size=32))
    with pytest.raises(InputError, match=r"1 unexpected \(memory.items\)"):
        import_clip(tmp_path, lntra)


class _RunsAShellCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_a_pickle_naming_any_other_callable_is_refused_before_it_runs(tmp_path, legacy):
    marker = tmp_path / "ran"
    path = tmp_path / "model.pth"
    torch.save({"model": _RunsAShellCommand(marker)}, path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(InputError, match=r"names posix\.system, which is neither a tensor rebuild nor a module class"):
        load_official(path)
    assert not marker.exists()
    torch.save({"f": eval}, path)
    with pytest.raises(InputError, match=r"(__builtin__|builtins)\.eval"):
        load_official(path)


def test_official_module_placeholders_cannot_be_called_or_repickled(tmp_path):
    save_mnad(tmp_path, "prediction", WIDTH)
    held = load_official(tmp_path / "model.pth")
    assert held.official_name.endswith("ranking_top1.convAE")
    assert not callable(held)
    with pytest.raises(pickle.PicklingError):
        pickle.dumps(held)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_torchscript_archive_and_a_corrupt_file_are_one_line_errors(tmp_path):
    scripted = torch.jit.script(torch.nn.Linear(2, 2))
    scripted.save(str(tmp_path / "model.pth"))
    with pytest.raises(InputError, match="TorchScript archive"):
        load_official(tmp_path / "model.pth")
    (tmp_path / "model.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="not a readable torch checkpoint"):
        load_official(tmp_path / "model.pth")


def test_import_writes_a_checkpoint_our_test_pass_loads(tmp_path):
    folder = tmp_path / "checkpoints"
    official = save_mnad(folder, "prediction", WIDTH)
    cfg = MNADConfig(width=WIDTH, image_size=32)
    from pipeline.families.mnad.model import build
    from pipeline.families.mnad.released import import_checkpoint

    import_released("mnad", build(cfg.to_dict()), import_checkpoint, folder, tmp_path / "run")
    model, items, state = load_checkpoint(tmp_path / "run" / "seed_0" / "final.pt")
    assert state["train_config"]["update_normalisation"] == "official"
    assert state["train_config"]["released"]["files"]["model.pth"] == __import__("hashlib").sha256(
        (folder / "model.pth").read_bytes()).hexdigest()
    x = torch.randn(1, 12, 32, 32)
    with torch.no_grad():
        assert torch.equal(official.encoder(x)[0], model.eval().encoder(x)[0])
    assert items.shape == (10, 8 * WIDTH)
    assert (tmp_path / "run" / "seed_0" / "released.json").exists()


# --- the report's section -----------------------------------------------------------------------
def _reference():
    import pandas as pd
    return pd.DataFrame([
        {"paper": "LNTRA", "table": "LNTRA Table 1", "dataset": "ped2", "model": "lntra_skip", "variant": "", "metric": "auc_pooled",
         "value": 0.965},
        {"paper": "MNAD", "table": "MNAD Table 1", "dataset": "ped2", "model": "pred_mem", "variant": "", "metric": "auc_pooled",
         "value": 0.970}])


def test_released_table_judges_both_halves_and_names_missing_files():
    import pandas as pd

    from pipeline.report.released import released_table
    from pipeline.report.verdicts import ClaimSettings

    known = pd.DataFrame([
        {"paper": "LNTRA", "repository": "r", "family": "clip_ae", "dataset": "ped2", "model": "lntra_skip",
         "stated_auc": 0.965, "where": "README"},
        {"paper": "MNAD", "repository": "m", "family": "mnad", "dataset": "ped2", "model": "pred_mem",
         "stated_auc": None, "where": "README"}])
    released = pd.DataFrame([
        {"dataset": "ped2", "model": "lntra_skip", "family": "clip_ae", "auc": 0.95, "lo": 0.93, "hi": 0.96, "files": "a"},
        {"dataset": "synthetic", "model": "pred", "family": "mnad", "auc": 0.7, "lo": None, "hi": None, "files": "b"}])
    results = pd.DataFrame([
        {"dataset": "ped2", "model": "lntra_skip", "variant": "", "auc_micro": 0.90, "auc_micro_lo": 0.88,
         "auc_micro_hi": 0.92, "auc_micro_per_seed": [0.895, 0.90, 0.905]},
        {"dataset": "ped2", "model": "lntra_skip", "variant": "an ablation", "auc_micro": 0.97, "auc_micro_lo": 0.96,
         "auc_micro_hi": 0.98, "auc_micro_per_seed": None}])
    table = released_table(released, results, _reference(), ClaimSettings(tolerance=0.03), known).set_index("model")
    skip = table.loc["lntra_skip"]
    # released: one fixed network, |0.950 - 0.965| <= 0.03; retrained: 0.90 - 0.965 +- 4.303 * 0.005 * sqrt(4/3)
    # = -0.065 +- 0.0248 lies wholly below -0.03
    assert skip["released weights give it"] == "reproduced" and skip["retraining gives it"] == "not reproduced"
    assert skip["released weights [95% CI]"] == "0.950 [0.930, 0.960]"
    mnad = table.loc["pred_mem"]
    assert mnad["released weights [95% CI]"] == "no checkpoint in data/raw/checkpoints/mnad/ped2/pred_mem/"
    assert mnad["released weights give it"] == "not tested yet" and mnad["retrained [95% CI]"] == "not trained in this run"
    mine = table.loc["pred"]  # imported by the user, reported nowhere
    assert mine["paper"] == "your run" and mine["released weights give it"] == "not tested yet"


def test_a_released_entry_on_a_dataset_not_run_is_one_line_naming_the_key(tmp_path):
    import yaml

    from conftest import ROOT
    from pipeline.params import load_params

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["released"]["clip_models"] = {"ped2-lntra_skip": {"dataset": "ped2", "model": "lntra_skip"}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(InputError, match=r"released.clip_models.ped2-lntra_skip: dataset 'ped2' is not in `datasets`"):
        load_params(tmp_path / "params.yaml")
    params["released"]["clip_models"] = {"x": {"dataset": "synthetic", "model": "lntra_skip", "files": "a.pth"}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(InputError, match=r"released.clip_models.x.files"):
        load_params(tmp_path / "params.yaml")
