"""The table of datasets (no imports: params' schema, the prepare stage, the plan and the
report read it): each dataset's kind, the params list it goes in, how its raw copy may be
laid out (the preparer tries the layouts in order), where to put it, and the published
size of its splits where the data is not generated here. A new dataset is one row here,
and a layout if its layout is new (pipeline.data.prepare.LAYOUTS)."""
from __future__ import annotations

from dataclasses import dataclass

# The params lists of datasets, by kind of data: their stages are dag blocks of their own.
DATASET_LISTS = {"datasets": "video", "image_datasets": "image", "oneclass_datasets": "oneclass"}


@dataclass(frozen=True)
class Dataset:
    name: str
    kind: str                               # video | image | oneclass (DATASET_LISTS)
    layouts: tuple[str, ...]                # pipeline.data.prepare.LAYOUTS, tried in order
    published: dict | None = None           # {split: (frames, videos)}: sizes of a benchmark not prepared here
    where: str = ""                         # the layout(s) of data/raw/<name>/, for an error message

    @property
    def listed_in(self) -> str:
        return next(key for key, kind in DATASET_LISTS.items() if kind == self.kind)

    @property
    def one_model_per_video(self) -> bool:
        """Image sets: each "video" is a category with a model of its own (their protocols
        train per category; pipeline.engine.testing)."""
        return self.kind != "video"


DATASETS = {d.name: d for d in (
    Dataset("synthetic", "video", ("synthetic",)),
    Dataset("ped2", "video", ("mnad", "ucsd"), {"train": (2550, 16), "test": (2010, 12)},
            "the MNAD layout (training/frames/<video>/*.jpg, testing/frames/<video>/*.jpg, frame_labels_ped2.npy) "
            "or the UCSD layout (UCSDped2/Train/Train001/*.tif, UCSDped2/Test/Test001/*.tif, Test001_gt/*.bmp)"),
    Dataset("avenue", "video", ("mnad",), {"train": (15328, 16), "test": (15324, 21)},
            "the MNAD layout (training/frames/<video>/*.jpg, testing/frames/<video>/*.jpg, frame_labels_avenue.npy)"),
    Dataset("shanghaitech", "video", ("shanghaitech",), {"train": (274515, 330), "test": (40791, 107)},
            "training/videos/<video>.avi, testing/frames/<video>/<n>.jpg and testing/test_frame_mask/<video>.npy"),
    Dataset("mvtec", "image", ("mvtec",), {"train": (3629, 15), "test": (1725, 15)},
            "<category>/train/good/*.png, <category>/test/<defect>/*.png (the MVTec AD archive)"),
    Dataset("digits", "oneclass", ("sklearn_digits",)),
)}
# The benchmarks a claim can name: datasets users bring (the others are generated here).
BENCHMARKS = tuple(d.name for d in DATASETS.values() if d.published)
EMBEDDED = tuple(d.name for d in DATASETS.values() if not d.published)
VIDEO_BENCHMARKS = tuple(name for name in BENCHMARKS if DATASETS[name].kind == "video")

