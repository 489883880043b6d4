"""MemAE's image track: the one-class protocol on scikit-learn's digits, the 2D model, and
one model per normal class end to end."""
import numpy as np
import pytest
import torch

from pipeline.data.digits import DigitsConfig, oneclass_records
from pipeline.data.index import PreparedDataset, write_dataset
from pipeline.evaluation.evaluate import evaluate
from pipeline.engine.loop import LoopConfig, train
from pipeline.evaluation.plan import ScorePlan
from pipeline.families.image_ae.config import ImageInferConfig, ImageTrainConfig
from pipeline.families.image_ae.infer import run
from pipeline.families.image_ae.model import ImageMemAE, ImageMemAEConfig
from pipeline.families.image_ae.train import ImageRecipe


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    root = tmp_path_factory.mktemp("digits") / "digits"
    write_dataset(root, "digits", oneclass_records(DigitsConfig()))
    return root


def test_oneclass_protocol(digits):
    from sklearn.datasets import load_digits
    data = PreparedDataset(digits)
    assert data.videos("train") == data.videos("test") == [f"digit_{c}" for c in range(10)]
    pixels = {tuple(img.ravel()) for img in (np.clip(np.round(load_digits().images * 255 / 16), 0, 255))}
    for video in data.videos("test"):
        train, test = data.frames("train", video), data.frame_table("test", video)
        normal_test = int((test.label == 0).sum())
        assert len(train) == pytest.approx(2 * normal_test, abs=2)  # normal images split 2:1
        assert test.label.mean() == pytest.approx(0.3, abs=0.02)   # ~30% anomalies
        assert tuple(train[0, ..., 0].ravel()) in pixels
    # training and test images of a class do not overlap
    first_train = {tuple(f[..., 0].ravel()) for f in data.frames("train", "digit_3")}
    test_frames = data.frames("test", "digit_3")
    normal_rows = data.frame_table("test", "digit_3").label.to_numpy() == 0
    assert not first_train & {tuple(f[..., 0].ravel()) for f in test_frames[normal_rows]}


@pytest.mark.parametrize("size,positions", [(8, 1), (28, 9)])
def test_mnist_architecture_shapes(size, positions):
    model = ImageMemAE(ImageMemAEConfig(image_size=size, num_items=100))
    out, weights = model(torch.randn(3, 1, size, size))
    assert out.shape == (3, 1, size, size) and weights.shape == (3 * positions, 100)
    assert ImageMemAE(ImageMemAEConfig(image_size=size, memory=False))(torch.randn(2, 1, size, size))[1] is None


def test_one_model_per_class_end_to_end(digits, tmp_path):
    recipe = ImageRecipe(ImageMemAEConfig(image_size=8, num_items=20), ImageTrainConfig(lr=1e-3))
    train(recipe, digits, tmp_path / "train", LoopConfig(epochs=2, batch_size=32, checkpoint_every=2), torch.device("cpu"))
    assert sorted(p.name for p in (tmp_path / "train").iterdir() if p.is_dir()) == [f"digit_{c}" for c in range(10)]
    frames, facts = run(ImageInferConfig(), tmp_path / "train", "final", digits, tmp_path / "infer" / "seed_0",
                        torch.device("cpu"))
    assert facts["checkpoint_epoch"] == 2 and frames.video.nunique() == 10 and np.isfinite(frames.recon_error).all()
    _, metrics = evaluate([tmp_path / "infer" / "seed_0"], ScorePlan({"recon_error": 1.0}))
    assert metrics["videos_in_macro"] == 10 and 0 <= metrics["auc_macro"] <= 1
