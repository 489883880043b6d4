"""params.yaml -> the configs of the MemAE / LNTRA / DAAD variants: the papers' values in the
paper profile, dataset-specific settings, and models listed in the wrong stage group."""
import copy
from pathlib import Path

import pytest
import yaml

from pipeline.evaluation.plan import terms_plan
from pipeline.families import check_family, family_of
from pipeline.families.clip_ae.config import model_config as clip_model_config
from pipeline.families.clip_ae.config import train_configs
from pipeline.families.daad.config import model_config as daad_model_config
from pipeline.families.daad.config import train_configs as daad_train_configs
from pipeline.io import InputError
from pipeline.params import per_dataset


def clip_train_config(params, dataset, model):
    return train_configs(params, dataset, model, 0)[1]


def daad_train_config(params, dataset, model):
    return daad_train_configs(params, dataset, model, 0)[1]


def score_terms(params, model):
    return terms_plan(params, model).terms

PARAMS = yaml.safe_load((Path(__file__).resolve().parents[1] / "params.yaml").read_text())


def _paper():
    params = copy.deepcopy(PARAMS)
    params["profile"] = "paper"
    return params


def test_memae_variants_carry_the_paper_settings():
    p = _paper()
    memae = clip_model_config(p, "memae")
    assert (memae.num_items, memae.shrink_threshold, memae.addressing, memae.widths) == (2000, 0.0025, "dot", (96, 128, 256, 256))
    assert clip_train_config(p, "ped2", "memae").entropy_weight == 0.0002 and clip_train_config(p, "ped2", "memae").lr == 1e-4
    assert clip_model_config(p, "memae_ae").memory is False
    nonspar = (clip_model_config(p, "memae_nonspar").shrink_threshold, clip_train_config(p, "ped2", "memae_nonspar").entropy_weight)
    assert nonspar == (0.0, 0.0)
    assert clip_model_config(p, "memae_noshrink").shrink_threshold == 0.0
    assert clip_train_config(p, "ped2", "memae_noentropy").entropy_weight == 0.0
    assert score_terms(p, "memae") == {"recon_l2": 1.0}       # official script_testing.py, MemAE branch
    assert score_terms(p, "memae_ae") == {"recon_error": 1.0}  # its AE branch: the clip's MSE
    assert clip_model_config(p, "memae").init == "official" and clip_model_config(p, "lntra_skip").init == "pytorch"
    # the official training scripts: MemAE batch 10, 100 epochs; LNTRA batch 4, 60 epochs; both Adam 1e-4
    _, memae, memae_loop = train_configs(p, "ped2", "memae", 0)
    _, lntra, lntra_loop = train_configs(p, "ped2", "lntra_patch", 0)
    assert (memae_loop.batch_size, memae_loop.epochs, memae.lr) == (10, 100, 1e-4)
    assert (lntra_loop.batch_size, lntra_loop.epochs, lntra.lr) == (4, 60, 1e-4)
    assert train_configs(PARAMS, "synthetic", "lntra_patch", 0)[2].batch_size == 8  # the CPU profile's own


def test_lntra_pseudo_anomalies_and_dataset_specific_beta():
    p = _paper()
    assert clip_model_config(p, "lntra_baseline").tanh_output and not clip_model_config(p, "lntra_baseline").memory
    patch = clip_train_config(p, "ped2", "lntra_patch").pseudo_anomaly
    assert (patch.kind, patch.probability, patch.patch_alpha, patch.patch_beta) == ("patch", 0.2, 0.5, 10)
    assert clip_train_config(p, "avenue", "lntra_patch").pseudo_anomaly.patch_beta == 25
    assert clip_train_config(p, "ped2", "lntra_skip").pseudo_anomaly.skip_strides == (2, 3, 4, 5)
    assert score_terms(p, "lntra_skip") == {"psnr": 1.0}


def test_daad_settings_per_dataset_and_profile():
    p = _paper()
    mvtec, video = daad_model_config(p, "mvtec", "daad"), daad_model_config(p, "ped2", "daad")
    assert (mvtec.rates, mvtec.num_items, mvtec.image_size, mvtec.width) == ((8, 8, 1), 500, 256, 64)
    assert (video.rates, video.num_items) == ((16, 16, 1), 2000)  # the video appendix
    assert daad_train_config(p, "mvtec", "daad").lr == 1e-4 and daad_train_config(p, "mvtec", "daad_adv").lr == 2e-4
    assert daad_train_config(p, "mvtec", "daad").flips and not daad_train_config(p, "ped2", "daad").flips
    assert daad_train_configs(p, "mvtec", "daad", 0)[2].epochs == 1000
    # video: the appendix's "MNAD setting" (batch 4); MVTec AD: batch 8 (sec. 4.1)
    assert daad_train_configs(p, "ped2", "daad", 0)[2].batch_size == 4 and daad_train_configs(p, "mvtec", "daad", 0)[2].batch_size == 8
    # the CPU profile's 64 px images keep the paper's block sizes: rates scaled by 64/256
    assert daad_model_config(PARAMS, "synthetic", "daad").rates == (4, 4, 1)
    assert score_terms(p, "daad_adv") == {"recon_error": 0.9, "feature_error": 0.1}
    assert daad_model_config(p, "mvtec", "daad_r2").rates == (2, 2, 1)
    memae_star = daad_model_config(p, "mvtec", "daad_memae")
    assert (memae_star.memory_levels, memae_star.skips, memae_star.rates) == ((4,), False, (16, 16, 1))
    cpu = daad_model_config(PARAMS, "synthetic", "daad")
    assert cpu.num_items == 500 and daad_train_config(PARAMS, "synthetic", "daad").lr == pytest.approx(1e-3)


def test_every_listed_model_is_in_its_family():
    for family, key in (("mnad", "plain_models"), ("mnad", "memory_models"), ("clip_ae", "clip_models"),
                        ("daad", "daad_models"), ("daad", "daad_image_models"), ("image_ae", "oneclass_models")):
        for model in PARAMS[key]:
            check_family(PARAMS, model, family)
    assert family_of(PARAMS, "memae") == "clip_ae" and family_of(PARAMS, "pred_mem") == "mnad"
    with pytest.raises(InputError, match="move it to the list of clip_ae models"):
        check_family(PARAMS, "memae", "mnad")
    for model in PARAMS["memory_models"]:  # the memory blocks of dag/train and dag/score read supervision and lambda
        assert PARAMS["models"][model]["train"]["memory"]
    for model in PARAMS["plain_models"]:
        assert not PARAMS["models"][model]["train"]["memory"]


def test_per_dataset_values():
    assert per_dataset({"ped2": 10, "default": 25}, "ped2", "x") == 10
    assert per_dataset({"ped2": 10, "default": 25}, "avenue", "x") == 25
    assert per_dataset(7, "avenue", "x") == 7
    with pytest.raises(InputError, match="no entry for dataset 'avenue'"):
        per_dataset({"ped2": 10}, "avenue", "x")
