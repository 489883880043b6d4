"""Checkpoints published with the audited papers (or written by a user's run of their
official code), read without the official code and without running anything a pickle names.

MNAD's `model.pth` and LNTRA's `model['model']` are whole pickled modules: a plain
torch.load imports the official `model` package and calls whatever the pickle names. Here
the pickle goes through an unpickler that resolves only torch's tensor and storage rebuilds,
a few containers, and module classes (the official code's, torch.nn's, DataParallel), which
become inert `OfficialModule` placeholders holding the saved attributes; any other name
stops the load. Parameters and buffers are then read off the placeholders under the names
`state_dict()` would give them, and each family maps those names onto its own modules
(pipeline.families.<family>.released). Facts about the formats:
../shared/specs/released-checkpoints.md.
"""
from __future__ import annotations

import hashlib
import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from pipeline.artifacts import RELEASED, RELEASED_SEED, seed_dir
from pipeline.engine.checkpoints import save_checkpoint
from pipeline.io import InputError, write_json

CHECKPOINT_SUFFIXES = (".pth", ".pt", ".tar", ".pkl")

# Functions and classes a torch checkpoint needs to rebuild its tensors and containers.
_SAFE = {
    ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"), ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("collections", "OrderedDict"), ("builtins", "set"), ("__builtin__", "set"),
    ("builtins", "frozenset"), ("__builtin__", "frozenset"),
    ("torch", "device"), ("torch", "Size"),
}
# Where module classes may come from: the official packages (`model` in MNAD and LNTRA,
# `models` in MemAE) and torch.nn (modules, DataParallel, pre-1.0's `_backend` attribute).
_MODULE_CLASS = re.compile(r"(models?)(\..+)?|torch\.nn\.modules\..+|torch\.nn\.parallel\.data_parallel|"
                           r"torch\.nn\.backends\..+")


class OfficialModule:
    """What a pickled module becomes: its saved attributes (`_parameters`, `_buffers`,
    `_modules`, ...) and nothing callable."""
    official_name = "?"

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __reduce__(self):  # never re-pickled under our name
        raise pickle.PicklingError("an imported official module is a read-only placeholder")


class RefusedGlobal(pickle.UnpicklingError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


_placeholders: dict[str, type] = {}


def _placeholder(qualified: str) -> type:
    if qualified not in _placeholders:
        _placeholders[qualified] = type(qualified.rsplit(".", 1)[-1], (OfficialModule,), {"official_name": qualified})
    return _placeholders[qualified]


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _SAFE:
            return super().find_class(module, name)
        if _MODULE_CLASS.fullmatch(module):
            return _placeholder(f"{module}.{name}")
        raise RefusedGlobal(f"{module}.{name}")


class restricted_pickle:
    """The pickle module torch.load uses for an official file: torch subclasses `Unpickler`
    (its own find_class handles storage types first) and calls `load` for the legacy
    format's header records."""
    Unpickler = _RestrictedUnpickler
    __name__ = "restricted_pickle"

    @staticmethod
    def load(file, **kwargs):
        return _RestrictedUnpickler(file, **kwargs).load()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_official(path: Path):
    """A checkpoint file -> what it holds, with every pickled module an OfficialModule.
    Zip (torch >= 1.6) and legacy files alike; storages saved on a GPU land on the CPU."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if any(n.endswith("/constants.pkl") for n in archive.namelist()):
                raise InputError(f"{path} is a TorchScript archive, not a checkpoint of the official code; "
                                 "use the file its training script saved with torch.save")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # legacy files: "source code of class ... has changed"
            return torch.load(path, map_location="cpu", pickle_module=restricted_pickle, weights_only=False)
    except RefusedGlobal as err:
        raise InputError(f"{path}: the pickle names {err.name}, which is neither a tensor rebuild nor a module "
                         "class; refused without loading it (it could run arbitrary code)") from None
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, zipfile.BadZipFile) as err:
        raise InputError(f"{path} is not a readable torch checkpoint ({str(err).splitlines()[0]}); "
                         "replace it with the file as downloaded") from None


def module_tensors(module: OfficialModule, prefix: str = "") -> dict[str, torch.Tensor]:
    """Parameters and persistent buffers of a placeholder tree, named as state_dict() would."""
    state = vars(module)
    found: dict[str, torch.Tensor] = {}
    for name, value in (state.get("_parameters") or {}).items():
        if value is not None:
            found[prefix + name] = value.detach()
    skipped = state.get("_non_persistent_buffers_set") or set()
    for name, value in (state.get("_buffers") or {}).items():
        if value is not None and name not in skipped:
            found[prefix + name] = value
    for name, child in (state.get("_modules") or {}).items():
        if child is not None:
            found.update(module_tensors(child, f"{prefix}{name}."))
    return found


def classes_in(module: OfficialModule) -> list[str]:
    """The official and torch classes a pickled module tree names (for the provenance)."""
    names = {module.official_name}
    for child in (vars(module).get("_modules") or {}).values():
        if child is not None:
            names.update(classes_in(child))
    return sorted(names)


def rename(tensors: dict[str, torch.Tensor], rules: list[tuple[str, str | None]]) -> dict[str, torch.Tensor]:
    """Official names -> ours by the first matching (regex, replacement) rule; a None
    replacement drops the tensor (one the official forward pass never uses). Names no rule
    matches are kept as they are, so a wrong file shows up as unexpected tensors."""
    renamed = {}
    for name, tensor in tensors.items():
        for pattern, replacement in rules:
            if re.fullmatch(pattern, name):
                if replacement is not None:
                    renamed[re.sub(pattern, replacement, name)] = tensor
                break
        else:
            renamed[name] = tensor
    return renamed


def _examples(names) -> str:
    names = sorted(names)
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def load_matching(model: torch.nn.Module, tensors: dict[str, torch.Tensor], source: Path, what: str) -> None:
    """Copy `tensors` into `model`, or stop with one line naming the file and every kind of
    difference: tensors missing, tensors unexpected, shapes that differ. Checkpoints from
    PyTorch < 0.4.1 have no BatchNorm `num_batches_tracked` (used only without momentum):
    those start at 0."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in tensors and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in tensors if k not in expected]
    shapes = [f"{k} is {tuple(tensors[k].shape)} there, {tuple(v.shape)} here"
              for k, v in expected.items() if k in tensors and tensors[k].shape != v.shape]
    if missing or unexpected or shapes:
        parts = ([f"missing {len(missing)} tensors ({_examples(missing)})"] if missing else []) + \
                ([f"{len(unexpected)} unexpected ({_examples(unexpected)})"] if unexpected else []) + \
                ([f"{len(shapes)} of another shape ({'; '.join(shapes[:2])})"] if shapes else [])
        raise InputError(f"{source} does not match {what}: {', '.join(parts)}; check the file's family, dataset "
                         "and variant (README: Released weights)")
    state = {k: tensors.get(k, torch.zeros_like(v)).to(v.dtype) for k, v in expected.items()}
    model.load_state_dict(state)


def checkpoint_files(folder: Path) -> list[Path]:
    """The checkpoint files a user put in one entry's folder (links refused: DVC would not
    notice a change behind one)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} not found: put the released files there (README: Released weights) or remove "
                         "the entry from params.yaml `released`")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in CHECKPOINT_SUFFIXES)
    for path in files:
        if path.is_symlink():
            raise InputError(f"{path} is a symbolic link: DVC does not follow links inside a dependency; copy the file")
    if not files:
        raise InputError(f"{folder} holds no checkpoint ({', '.join(CHECKPOINT_SUFFIXES)}): put the released files "
                         "there (README: Released weights)")
    return files


def one_file(files: list[Path], suffixes: tuple[str, ...], role: str, folder: Path) -> Path:
    chosen = [p for p in files if p.suffix.lower() in suffixes]
    if len(chosen) != 1:
        found = ", ".join(p.name for p in chosen) or "none"
        raise InputError(f"{folder}: expected one {role} ({' or '.join(suffixes)}), found {found}; keep exactly one")
    return chosen[0]


@dataclass
class Imported:
    """A released checkpoint in our terms: the network, memory items kept outside it (MNAD),
    what the provenance shows (files with their SHA-256, format, official classes) and what
    the family's test pass reads from a checkpoint's train_config."""
    model: torch.nn.Module
    items: torch.Tensor | None = None
    facts: dict = field(default_factory=dict)
    train_config: dict = field(default_factory=dict)


def official_size(params: dict, family: str, entry: dict) -> dict:
    """An imported network is the official one: the paper profile's size for its family
    (MNAD C=512, MemAE/LNTRA 96-128-256-256, frames 256 x 256), with the entry's own
    `size` keys on top (a user's run of the official code at another frame size)."""
    return {**params["profiles"]["paper"][family]["model"], **entry.get("size", {})}


def import_released(family: str, model: torch.nn.Module, import_checkpoint: Callable[[Path, torch.nn.Module], Imported],
                    folder: Path, out_dir: Path) -> Imported:
    """Fill `model` (the family's network, built at the official size) from the checkpoint in
    `folder` with the family's `import_checkpoint`, and save it where a training run's final
    checkpoint goes (one seed folder, RELEASED_SEED), with the import's facts beside it (RELEASED)."""
    imported = import_checkpoint(Path(folder), model)
    run_dir = seed_dir(out_dir, RELEASED_SEED)
    save_checkpoint(run_dir / "final.pt", imported.model, family, {**imported.train_config, "released": imported.facts},
                    epoch=0, items=imported.items)
    write_json(run_dir / RELEASED, {**imported.facts, "folder": str(folder)})
    return imported
