"""The shape of params.yaml, checked once at the start of every stage (pydantic), so a bad
value stops with one line naming the key, what it got and what is allowed, instead of a
traceback deep inside a stage or a silently wrong result. Sections a family reads in its
own way (models.<model>.train, profiles.<p>.<family>.model) are checked for their shared
keys only; the family's config module checks the rest."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import (BaseModel, ConfigDict, Field, PositiveInt, StrictBool, ValidationError, create_model,
                      field_validator, model_validator)

from pipeline.data.datasets import DATASET_LISTS as DATASET_TABLE
from pipeline.families.lists import FAMILIES as FAMILY_TABLE, MODEL_LISTS as MODEL_TABLE, RELEASED_LISTS

NonNegative = Annotated[int, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
# The lists of models and datasets are the registry's tables (pipeline.families.lists,
# pipeline.data.datasets): a list added there is a key checked here.
FAMILIES = tuple(FAMILY_TABLE)
MODEL_LISTS = tuple(row.name for row in MODEL_TABLE)
DATASET_LISTS = tuple(DATASET_TABLE)


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Runtime(Strict):
    device: str
    cpu_threads: PositiveInt
    num_workers: NonNegative
    numerics: Literal["portable", "native"]   # pipeline.numerics

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not re.fullmatch(r"auto|cpu|cuda|cuda:\d+", value):
            raise ValueError("use auto, cpu, cuda or cuda:N")
        return value


class FamilyTrain(Loose):
    batch_size: PositiveInt | dict[str, PositiveInt]   # a mapping: per dataset, with `default`
    checkpoint_every: PositiveInt


class FamilyProfile(Strict):
    model: dict[str, Any]
    train: FamilyTrain
    epochs: dict[str, PositiveInt]


class Prepare(Loose):
    size: PositiveInt | None = None     # null keeps the original frame size
    workers: PositiveInt = 1
    format: Literal["npy", "ffv1", "delta"] = "npy"   # pipeline.data.storage
    jpeg_round_trip: StrictBool = False


class ModelInfer(Loose):
    checkpoint: Any = "final"
    batch_size: PositiveInt = 32

    @field_validator("checkpoint")
    @classmethod
    def _checkpoint(cls, value):
        if value == "final" or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            return value
        raise ValueError("use final or the number of a saved epoch")


class ModelScore(Loose):
    normalisation: Literal["per_video", "global"] = "per_video"


class Model(Strict):
    family: Literal[FAMILIES]
    train: dict[str, Any]
    infer: ModelInfer
    score: ModelScore


class Evaluation(Strict):
    level: Annotated[float, Field(gt=0.5, lt=1)]   # two-sided level of every interval


class ReleasedEntry(Strict):
    """One official checkpoint folder, data/raw/checkpoints/<family>/<dataset>/<model>."""
    dataset: str
    model: str
    size: dict[str, Any] = {}           # keys of profiles.paper.<family>.model that differ


class Settings(Loose):
    lambda_: Union[Literal["paper"], Probability] = Field(alias="lambda")
    supervision: StrictBool
    seeds: Annotated[list[int], Field(min_length=1)]
    profile: str
    profiles: dict[str, dict[Literal[FAMILIES], FamilyProfile]]
    runtime: Runtime
    speed: dict[Literal[FAMILIES], dict[str, StrictBool]]
    prepare: dict[str, Prepare]
    models: dict[str, Model]
    evaluation: Evaluation
    released: dict[Literal[RELEASED_LISTS], dict[str, ReleasedEntry]] = {}

    @field_validator("lambda_", mode="before")
    @classmethod
    def _lambda(cls, value):
        if value == "paper" or (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1):
            return value
        raise ValueError("use paper (each model's paper value) or a number in [0, 1]")

    @model_validator(mode="after")
    def _references(self) -> "Params":
        if self.profile not in self.profiles:
            raise ValueError(f"profile: got {self.profile!r}; use one of {sorted(self.profiles)}")
        for key in MODEL_LISTS:
            for model in getattr(self, key):
                if model not in self.models:
                    raise ValueError(f"{key}: got {model!r}, which has no section models.{model}; add one or remove it")
        for key in DATASET_LISTS:
            for dataset in getattr(self, key):
                if dataset not in self.prepare:
                    raise ValueError(f"{key}: got {dataset!r}, which has no section prepare.{dataset}; add one")
        for key, entries in self.released.items():
            for name, entry in entries.items():
                where = f"released.{key}.{name}"
                if entry.model not in self.models:
                    raise ValueError(f"{where}: model {entry.model!r} has no section models.{entry.model}")
                if entry.dataset not in self.datasets:
                    raise ValueError(f"{where}: dataset {entry.dataset!r} is not in `datasets`; add it there (released "
                                     "weights are scored on its prepared test split)")
        return self


# Every list of the tables is a required key holding names.
Params = create_model("Params", __base__=Settings, **{key: (list[str], ...) for key in (*DATASET_LISTS, *MODEL_LISTS)})


def check(params: dict) -> str | None:
    """None when params.yaml has the expected shape, else one line: key, value, what is allowed."""
    try:
        Params.model_validate(params)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"] if not str(part).startswith(("function-", "literal[", "int",
                                                                                          "constrained-")))
        message = first["msg"].removeprefix("Value error, ")
        if not where:  # a check across keys names its key itself
            return message
        got = first.get("input")
        shown = "missing" if first["type"] == "missing" else f"got {got!r}"
        return f"{where}: {shown}; {message}"
    return None
