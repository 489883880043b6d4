"""Figures: which videos a timeline shows, palette PNGs with deterministic bytes, and the
ROC on a fixed grid that DVC plots track."""
import numpy as np
import pandas as pd
from PIL import Image

from pipeline import plots
from pipeline.evaluation.metrics import roc_on_grid


def _frames(video, kind, labels):
    return pd.DataFrame({"video": video, "frame": range(len(labels)), "label": labels, "anomaly_type": kind,
                         "score": np.linspace(0, 1, len(labels))})


def test_timelines_show_one_video_per_anomaly_type_and_a_normal_one_first():
    frames = pd.concat([_frames("01", "spatial", [0, 1, 1]), _frames("02", "spatial", [0, 1, 0]),
                        _frames("03", "normal", [0, 0, 0]), _frames("04", "temporal", [1, 1, 0]),
                        _frames("05", "normal", [0, 0, 0])], ignore_index=True)
    assert plots.timeline_videos(frames, 3) == ["01", "03", "04"]   # video order kept
    assert plots.timeline_videos(frames, 2) == ["01", "04"]
    assert plots.timeline_videos(frames, 10) == ["01", "02", "03", "04", "05"]


def test_figures_are_palette_pngs_with_the_same_bytes_each_time(tmp_path):
    frames = pd.concat([_frames("01", "spatial", [0, 1, 1, 0]), _frames("02", "normal", [0, 0, 0, 0])])
    for name in ("a.png", "b.png"):
        plots.score_timelines(frames, "t", tmp_path / name)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert Image.open(tmp_path / "a.png").mode == "P"


def test_roc_on_grid_is_the_best_tpr_at_or_below_each_fpr():
    labels = np.array([1, 0, 1, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.1])   # thresholds: (0, .5), (.5, .5), (.5, 1), (1, 1)
    fpr, tpr = roc_on_grid(labels, scores, points=5)
    assert fpr.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tpr.tolist() == [0.5, 0.5, 1.0, 1.0, 1.0]
