import pytest
import torch

from pipeline.families.mnad import memory as mem
from pipeline.families.mnad.model import MNAD, MNADConfig


def _count(model):
    return sum(p.numel() for p in model.parameters())


def test_paper_size_prediction_model_parameter_count():
    # 15.65 M: the layers the official prediction model runs (about 15.7 M, issue 3).
    assert _count(MNAD(MNADConfig(task="prediction", memory=True))) == 15_650_819


def test_paper_size_shapes_at_every_stage():
    model = MNAD(MNADConfig(task="prediction", memory=True)).eval()
    seen = {}
    model.decoder.conv.register_forward_hook(lambda m, inp, out: seen.update(decoder_in=inp[0].shape))
    x = torch.randn(1, 12, 256, 256)
    with torch.no_grad():
        feature, skips = model.encoder(x)
        output, query = model(x, mem.init_items(10, 512))
    assert [s.shape[1:] for s in skips] == [(64, 256, 256), (128, 128, 128), (256, 64, 64)]
    assert feature.shape == query.shape == (1, 512, 32, 32)
    assert seen["decoder_in"] == (1, 1024, 32, 32)
    assert output.shape == (1, 3, 256, 256)
    assert torch.allclose(query.norm(dim=1), torch.ones(1, 32, 32), atol=1e-5)
    assert output.abs().max() <= 1


@pytest.mark.parametrize("task, memory, decoder_in, skip", [
    ("prediction", True, 2 * 64, True), ("prediction", False, 64, True),
    ("reconstruction", True, 2 * 64, False), ("reconstruction", False, 64, False)])
def test_variants_at_small_size(task, memory, decoder_in, skip):
    cfg = MNADConfig(task=task, memory=memory, width=8, image_size=32)
    model = MNAD(cfg).eval()
    assert model.decoder.conv[0].in_channels == decoder_in  # report sec. 3.1: 512 without memory at paper size
    assert model.decoder.skip is skip
    x = torch.randn(2, 3 * cfg.input_frames, 32, 32)
    output, query = model(x, mem.init_items(10, 64) if memory else None)
    assert output.shape == (2, 3, 32, 32) and query.shape == (2, 64, 4, 4)


def test_reconstruction_output_does_not_see_the_input_through_skips():
    """Without skips the output depends on the input only through the 1/8-size query map."""
    model = MNAD(MNADConfig(task="reconstruction", memory=False, width=8, image_size=32)).eval()
    x = torch.randn(1, 3, 32, 32, requires_grad=True)
    output, query = model(x)
    grad_via_query, = torch.autograd.grad(output.sum(), query, retain_graph=True)
    assert grad_via_query.abs().sum() > 0
    assert MNADConfig(task="reconstruction").skip is False and MNADConfig(task="prediction").skip is True


def test_memory_model_requires_items():
    with pytest.raises(ValueError, match="needs the memory items"):
        MNAD(MNADConfig(width=8, image_size=32))(torch.randn(1, 12, 32, 32))


@pytest.mark.parametrize("memory, decoder, parameters", [
    (True, "official", 17_195_267),   # cvlab-yonsei/MNAD model/Reconstruction.py (MNAD Table 1)
    (False, "official", 14_835_971),
    (True, "report", 14_871_491),     # MNADrc model/reconstruction_model.py (the report's recon numbers)
    (False, "report", 12_512_195),    # MNADrc model/reconstruction_wo_memory.py
])
def test_reconstruction_parameter_counts_of_both_codes(memory, decoder, parameters):
    """Counted layer by layer from the two codes' constructors (the official encoder's unused
    BatchNorm left out)."""
    assert _count(MNAD(MNADConfig(task="reconstruction", memory=memory, decoder=decoder))) == parameters


def test_without_memory_the_decoder_gets_the_raw_encoder_output():
    """The report's models without memory skip the L2 normalisation (MNADrc
    Prediction_wo_memory.py: `self.decoder(fea, ...)`); with memory the queries are unit vectors."""
    x = torch.randn(2, 12, 32, 32)
    plain = MNAD(MNADConfig(task="prediction", memory=False, width=8, image_size=32)).eval()
    seen = {}
    plain.decoder.conv.register_forward_hook(lambda m, inp, out: seen.update(decoder_in=inp[0]))
    with torch.no_grad():
        feature, _ = plain.encoder(x)
        plain(x)
    assert torch.equal(seen["decoder_in"], feature) and not torch.allclose(feature.norm(dim=1), torch.ones(2, 4, 4))
    with_memory = MNAD(MNADConfig(task="prediction", memory=True, width=8, image_size=32)).eval()
    query, _ = with_memory.encode(x)
    assert torch.allclose(query.norm(dim=1), torch.ones(2, 4, 4), atol=1e-5)
    assert MNADConfig(memory=False, normalise_query=True).normalise_query  # the switch back to normalised queries


def test_psnr_in_double_precision_and_a_perfect_frame():
    from pipeline.engine.frames import psnr
    target = torch.zeros(2, 3, 4, 4)
    prediction = target.clone()
    prediction[0] += 0.2                     # [0, 1] error 0.1 everywhere: mse 0.01 -> 20 dB
    value = psnr(prediction, target)
    assert value.dtype == torch.float64 and value[0].item() == pytest.approx(20.0, abs=1e-5)
    assert value[1].item() == 100.0          # zero error: the official psnr() divides by zero; capped here
    assert torch.isnan(mem.regular_score(target, target)).all(), "E_t = 0/0 as the official point_score: no update"


def test_networks_see_frames_in_the_official_loaders_bgr_order(tmp_path):
    """MNAD's loader (model/utils.py np_load_frame) is cv2.imread, then x / 127.5 - 1: BGR.
    Frames are stored RGB here; the training batch (retrained models) and the test pass
    (retrained and released weights alike) must hand the network the official tensor."""
    import cv2
    import numpy as np

    from pipeline.data.clips import VideoFrames, split_input_target
    from pipeline.families.mnad.config import CHANNELS
    from pipeline.families.mnad.infer import _clip_inputs

    rgb = np.random.default_rng(0).integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    rgb[..., 0] //= 4                                             # red unlike blue everywhere
    official = []
    for t, frame in enumerate(rgb):
        path = str(tmp_path / f"{t:04d}.png")
        cv2.imwrite(path, cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))  # the frame as a dataset file
        official.append(cv2.imread(path).astype(np.float32) / 127.5 - 1.0)
    official = torch.from_numpy(np.stack(official)).permute(0, 3, 1, 2)
    assert not torch.equal(official[:, 0], official[:, 2])       # the two orders differ

    cpu = torch.device("cpu")
    inputs, target = split_input_target(torch.from_numpy(rgb[None]), "prediction", cpu, CHANNELS)
    assert torch.equal(inputs[0], official[:4].flatten(0, 1)) and torch.equal(target[0], official[4])
    inputs, target = _clip_inputs(VideoFrames.from_array(rgb), [4], 4, "prediction", cpu)
    assert torch.equal(inputs[0], official[:4].flatten(0, 1)) and torch.equal(target[0], official[4])
    inputs, target = _clip_inputs(VideoFrames.from_array(rgb), [2], 1, "reconstruction", cpu)
    assert torch.equal(inputs[0], official[2]) and torch.equal(target[0], official[2])
