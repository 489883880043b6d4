"""The per-video test loop every family runs (official evaluation order: videos sorted,
frames in order), and model loading for it: one model, or one per category on datasets
whose "videos" are categories (MVTec AD, the one-class digit sets:
`<train_dir>/<category>/final.pt`)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

import pandas as pd
import torch
from tqdm import tqdm

from pipeline.artifacts import EXAMPLES, FRAMES, INFERENCE, RELEASED
from pipeline.data.index import PreparedDataset
from pipeline.engine.checkpoints import Build, checkpoint_path, load_checkpoint, size_facts
from pipeline.data.clips import VideoFrames, video_frames
from pipeline.engine.frames import WorstAbnormalFrame, keep_worst, label_rows, write_examples
from pipeline.engine.memory_summary import MemoryRecorder
from pipeline.io import InputError, read_json, write_csv, write_json


# Benchmarks' smoke switch (benchmarks/_smoke_stage.py): score only each test video's first
# frames. No stage sets it and no params key reaches it.
MAX_FRAMES_PER_VIDEO: int | None = None


class VideoScorer(Protocol):
    """What a family's infer module gives the loop: per-frame signals of one test video."""
    recorder: MemoryRecorder | None
    image_size: int
    reads_gray: bool

    def video(self, frames: VideoFrames, worst: WorstAbnormalFrame) -> pd.DataFrame:
        """frames: the video at `image_size`, read on demand in windows (`read(start, stop)`
        -> (n, S, S, 3) uint8) -> one row per scored frame: `frame` and signals."""


class ModelScorer:
    """A VideoScorer around one model (in eval mode) and its family's infer config."""
    recorder: MemoryRecorder | None = None
    reads_gray = False   # grey-input networks read the prepared grey copy (pipeline.data.clips.GrayFrames)

    def __init__(self, model: torch.nn.Module, cfg, device: torch.device):
        self.model, self.cfg, self.device = model.eval(), cfg, device

    @property
    def image_size(self) -> int:
        return self.model.cfg.image_size


def test_split(dataset: PreparedDataset, scorer_for: Callable[[str], VideoScorer]) -> tuple[pd.DataFrame, list]:
    """Every test video through its scorer -> (labelled per-frame table, worst abnormal
    frames). A video is read in the scorer's windows, never whole."""
    tables, examples = [], []
    for video in tqdm(dataset.videos("test"), desc="infer", mininterval=2):
        scorer = scorer_for(video)
        truth = dataset.frame_table("test", video).set_index("frame")
        worst = WorstAbnormalFrame(truth.label.to_numpy())
        frames = video_frames(dataset, "test", video, scorer.image_size, sequential=True, gray=scorer.reads_gray)
        if MAX_FRAMES_PER_VIDEO is not None:
            frames.length = min(frames.length, MAX_FRAMES_PER_VIDEO)
        try:
            rows = scorer.video(frames, worst)
        except InputError as err:
            raise InputError(f"{dataset.root}, test video {video}: {err}") from err
        rows = label_rows(rows, video, truth)
        if scorer.recorder is not None:
            scorer.recorder.label(video, rows.frame, rows.label)
        examples = keep_worst(examples, worst.found(video))
        tables.append(rows)
    return pd.concat(tables, ignore_index=True), examples


def load_models(train_dir: Path, checkpoint, dataset: PreparedDataset, device: torch.device, build: Build
                ) -> Callable[[str], tuple[torch.nn.Module, torch.Tensor | None, dict]]:
    """video -> (model, extra items, checkpoint state): per category, or one shared model."""
    train_dir = Path(train_dir)
    if dataset.per_category:
        cache: dict[str, tuple] = {}

        def for_video(video: str):
            if video not in cache:
                cache.clear()  # one category's model at a time
                cache[video] = load_checkpoint(checkpoint_path(train_dir / video, checkpoint), build, device)
            return cache[video]
        return for_video
    shared = load_checkpoint(checkpoint_path(train_dir, checkpoint), build, device)
    return lambda video: shared


def score_split(train_dir: Path, checkpoint, prepared_root, out_dir: Path, device: torch.device,
                make_scorer: Callable[[torch.nn.Module, torch.Tensor | None, dict], VideoScorer], build: Build
                ) -> tuple[pd.DataFrame, VideoScorer, dict]:
    """Load the trained model(s) (rebuilt by the family's `build`), run every test video
    through make_scorer(model, items, checkpoint state) (a new scorer only when the model
    changes), write FRAMES and EXAMPLES. Returns the table, the last scorer and its state."""
    dataset = PreparedDataset(prepared_root)
    models, current = load_models(train_dir, checkpoint, dataset, device, build), {}

    def scorer_for(video: str) -> VideoScorer:
        model, items, state = models(video)
        if current.get("model") is not model:
            current.update(model=model, state=state, scorer=make_scorer(model, items, state))
        return current["scorer"]
    table, examples = test_split(dataset, scorer_for)
    write_csv(Path(out_dir) / FRAMES, table)
    write_examples(Path(out_dir) / EXAMPLES, examples)
    return table, current["scorer"], current["state"]


def frame_runner(scorer: Callable, describe: Callable[[torch.nn.Module], tuple], build: Build) -> Callable:
    """The `run` of a family that scores every frame by reconstructing it alone (DAAD, the
    image track): scorer(model, infer config, device) scores the videos; describe(model)
    gives (whether it has a memory, its architecture in words) for the score stage."""
    def run(cfg, train_dir: Path, checkpoint, prepared_root, out_dir: Path, device: torch.device
            ) -> tuple[pd.DataFrame, dict]:
        table, last, state = score_split(train_dir, checkpoint, prepared_root, out_dir, device,
                                         lambda model, items, state: scorer(model, cfg, device), build)
        memory, architecture = describe(last.model)
        return table, {"checkpoint_epoch": int(state["epoch"]), "task": "reconstruction",
                       "scored_frames": "all frames", "memory": memory, "architecture": architecture}
    return run


def infer_seed(run: Callable, build: Build, cfg, train_dir: Path, checkpoint, prepared_root, out_dir: Path,
               device: torch.device) -> int:
    """One training seed's test pass through its family's `run` (the family infer module's),
    then INFERENCE: what the score stage needs to know (checkpoint epoch, scored frames,
    size, whether the weights were trained here or imported). Returns the frames scored."""
    table, facts = run(cfg, train_dir, checkpoint, prepared_root, out_dir, device)
    released = Path(train_dir) / RELEASED
    weights = read_json(released) if released.exists() else "trained here"
    write_json(Path(out_dir) / INFERENCE, {**facts, **size_facts(train_dir, checkpoint, build),
                                           "per_category": PreparedDataset(prepared_root).per_category,
                                           "weights": weights})
    print(f"scored {len(table)} frames of {table.video.nunique()} videos (checkpoint {checkpoint}, "
          f"epoch {facts['checkpoint_epoch']})")
    return len(table)
