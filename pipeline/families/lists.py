"""The registry's tables (no imports: params' schema, the report, the plan and the DAG's
tests read them): the families, and the model lists of params.yaml, one row each: the
family its models belong to, the dataset list (a params key) its stages run on, the params
its stages read beyond the model's own sections, and, for MNAD, whether its models have a
memory. dag/train, dag/infer and dag/score hold one block per row (tests/test_dvc_deps.py
checks each block against its row); `released` rows take official checkpoints
(dag/released)."""
from __future__ import annotations

from dataclasses import dataclass

FAMILIES = ("mnad", "clip_ae", "daad", "image_ae")


@dataclass(frozen=True)
class ModelList:
    name: str
    family: str
    datasets: str                      # the dataset list its stages run on (pipeline.data.datasets.DATASET_LISTS)
    train_reads: tuple[str, ...] = ()  # params its train stages read besides the model's sections
    score_reads: tuple[str, ...] = ()  # params its score stages read besides the model's sections
    memory: bool | None = None         # MNAD: the list of the variants with (True) or without (False) memory
    released: bool = False             # official checkpoints of its models can be imported (params `released`)


MODEL_LISTS = (
    ModelList("plain_models", "mnad", "datasets", memory=False, released=True),
    ModelList("memory_models", "mnad", "datasets", ("supervision", "memory_supervision"), ("lambda",), memory=True,
              released=True),
    ModelList("clip_models", "clip_ae", "datasets", released=True),
    ModelList("daad_models", "daad", "datasets"),
    ModelList("daad_image_models", "daad", "image_datasets"),
    ModelList("oneclass_models", "image_ae", "oneclass_datasets"),
)
RELEASED_LISTS = tuple(row.name for row in MODEL_LISTS if row.released)
RELEASED_FAMILIES = tuple(dict.fromkeys(row.family for row in MODEL_LISTS if row.released))
