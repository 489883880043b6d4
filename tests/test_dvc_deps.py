"""The DAG (dvc.yaml and dag/*/dvc.yaml) is exact by construction: for every stage DVC
resolves, (1) every module inside pipeline/ and stages/ that its script can import is
covered by one of its deps, and (2) it lists exactly the params its code reads: every key its `settings(params, args)` reads lies
under a listed key, and every listed key is read. The checks are shown to fail on a
dropped dependency and on a listed key nobody reads."""
from __future__ import annotations

import ast
import importlib.util
import shlex
import sys
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


# --- import closure ---------------------------------------------------------------------------
def _module_file(name: str) -> Path | None:
    """pipeline.a.b -> pipeline/a/b.py or pipeline/a/b/__init__.py (None outside the repo)."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _with_parents(name: str) -> list[Path]:
    """A module and the __init__.py of every package above it (Python runs them all)."""
    parts = name.split(".")
    files = [_module_file(".".join(parts[:i])) for i in range(1, len(parts) + 1)]
    return [f for f in files if f is not None]


@lru_cache(maxsize=None)
def _direct_imports(path: Path) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """(files imported anywhere in the module, including inside functions; family parts it
    loads through the registry: string literals passed as `load(<family>, "<part>")`)."""
    tree = ast.parse(path.read_text())
    files, parts = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                files += _with_parents(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "_common":  # stage scripts import their sibling helper
                files.append(ROOT / "stages" / "_common.py")
                continue
            files += _with_parents(node.module)
            for alias in node.names:  # `from pipeline import families` imports a submodule
                sub = _module_file(f"{node.module}.{alias.name}")
                if sub is not None:
                    files.append(sub)
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == "load" and len(node.args) == 2 and isinstance(node.args[1], ast.Constant):
                parts.append(node.args[1].value)
    return tuple(files), tuple(parts)


def import_closure(script: Path, family: str | None) -> set[Path]:
    """Every repo module the script can import; a family part loaded through the registry
    is resolved with the stage's `--family` (a stage without one dispatches to no family:
    the registry may be imported, as the parent package of a family module, but not asked)."""
    seen, todo = set(), [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        files, parts = _direct_imports(path)
        todo += files
        for part in parts if family is not None else ():
            todo += _with_parents(f"pipeline.families.{family}.{part}")
    return {p.relative_to(ROOT) for p in seen}


def docstring_only(path: Path) -> bool:
    """A module that holds nothing but a docstring (a package's layout note) runs no code."""
    body = ast.parse((ROOT / path).read_text()).body
    return len(body) <= 1 and all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)


def uncovered(closure: set[Path], deps: list[str]) -> list[str]:
    """Modules with code that no dep covers (a dep covers itself and, if a folder, all below it)."""
    return sorted(str(p) for p in closure
                  if not any(p == Path(d) or Path(d) in p.parents for d in deps) and not docstring_only(p))


# --- params read -------------------------------------------------------------------------------
class Tracked(dict):
    """A params dict that records what is read: leaf values fetched, keys fetched but absent,
    and sections read whole (iterated, copied, printed). Fetching a section alone is not a read."""

    def __init__(self, data: dict, path: str, reads: set):
        super().__init__(data)
        self._path, self._reads = path, reads

    def _key(self, key) -> str:
        return f"{self._path}.{key}" if self._path else str(key)

    def _value(self, key, value):
        if isinstance(value, dict):
            return Tracked(value, self._key(key), self._reads)
        self._reads.add(self._key(key))
        return value

    def _whole(self) -> None:
        self._reads.add(self._path)

    def __getitem__(self, key):
        return self._value(key, super().__getitem__(key))

    def get(self, key, default=None):
        if dict.__contains__(self, key):
            return self[key]
        self._reads.add(self._key(key))
        return default

    def keys(self):
        self._whole()
        return super().keys()

    def __iter__(self):
        self._whole()
        return super().__iter__()

    def items(self):
        self._whole()
        return [(k, self._value(k, v)) for k, v in super().items()]

    def values(self):
        return [v for _, v in self.items()]

    def __len__(self):
        self._whole()
        return super().__len__()

    def __str__(self):
        self._whole()
        return str(dict(super().items()))

    __repr__ = __str__


def _under(path: str, key: str) -> bool:
    return path == key or path.startswith(key + ".")


def param_problems(reads: set[str], listed: list[str]) -> list[str]:
    """A read key must lie under a listed one, unless it never changes a result
    (pipeline.params.RESULT_NEUTRAL): such a key must not be listed, nor a section holding it."""
    from pipeline.params import RESULT_NEUTRAL

    neutral = [r for r in reads if r in RESULT_NEUTRAL]
    reads = reads - set(neutral)
    problems = [f"reads {r} but lists no key above it" for r in sorted(reads) if not any(_under(r, k) for k in listed)]
    problems += [f"lists {k} but never reads it" for k in listed if not any(_under(r, k) for r in reads)]
    problems += [f"lists {k}, which holds {r}: a key that never changes a result must leave the cache valid"
                 for r in neutral for k in listed if _under(r, k)]
    return problems


@lru_cache(maxsize=None)
def _stage_module(script: str):
    sys.path.insert(0, str(ROOT / "stages"))
    spec = importlib.util.spec_from_file_location(f"stage_{Path(script).stem}", ROOT / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def params_read(script: str, argv: list[str], params: dict) -> set[str]:
    module = _stage_module(script)
    reads: set[str] = set()
    module.settings(Tracked(params, "", reads), module.parse(argv))
    return reads


# --- the stages as DVC resolves them -------------------------------------------------------------
def every_block(params: dict) -> dict:
    """params.yaml with every stage block resolving to at least one stage: an image dataset,
    and a released checkpoint in each list (by default both are empty, so their blocks
    would go unchecked)."""
    params = yaml.safe_load(yaml.safe_dump(params))
    params["image_datasets"] = params["image_datasets"] or ["mvtec"]
    params["released"] = {"memory_models": {"synthetic-pred_mem": {"dataset": "synthetic", "model": "pred_mem"}},
                          "plain_models": {"synthetic-pred": {"dataset": "synthetic", "model": "pred"}},
                          "clip_models": {"synthetic-lntra_skip": {"dataset": "synthetic", "model": "lntra_skip"}}}
    return params


# The DAG's pipeline files: the root one and one per kind of per-model stage (dvc.yaml says why).
PIPELINE_FILES = sorted(str(p.relative_to(ROOT)) for p in [ROOT / "dvc.yaml", *ROOT.glob("dag/*/dvc.yaml")])


@pytest.fixture(scope="module")
def params() -> dict:
    return every_block(yaml.safe_load((ROOT / "params.yaml").read_text()))


@pytest.fixture(scope="module")
def dag_root(params, tmp_path_factory) -> Path:
    """A DVC repo holding the DAG's pipeline files and `params` (every block resolving)."""
    from dvc.repo import Repo

    root = tmp_path_factory.mktemp("dag")
    for dvc_file in PIPELINE_FILES:
        (root / dvc_file).parent.mkdir(parents=True, exist_ok=True)
        (root / dvc_file).write_text((ROOT / dvc_file).read_text())
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    Repo.init(str(root), no_scm=True)
    return root


@pytest.fixture(scope="module")
def stages(dag_root) -> list[dict]:
    from dvc.repo import Repo

    with Repo(str(dag_root)) as repo:
        resolved = []
        for stage in repo.index.stages:
            assert Path(stage.wdir) == dag_root, f"{stage.addressing}: set `wdir: ../..` (commands run from the repo root)"
            words = shlex.split(stage.cmd)
            assert words[:2] == ["python", words[1]] and words[1].startswith("stages/"), stage.cmd
            family = words[words.index("--family") + 1] if "--family" in words else None
            resolved.append({"name": stage.name, "script": words[1], "argv": words[2:], "family": family,
                             "deps": [d.def_path for d in stage.deps if not hasattr(d, "params")],
                             "params": [k for d in stage.deps if hasattr(d, "params") for k in d.params]})
    assert len(resolved) > 40
    assert {s["name"].split("@")[0] for s in resolved} >= {"import_released_clip", "score_released_plain",
                                                           "train_daad_images", "score_released"}
    return resolved


def test_every_imported_module_is_a_dependency(stages):
    missing = {s["name"]: uncovered(import_closure(ROOT / s["script"], s["family"]), s["deps"]) for s in stages}
    assert {name: files for name, files in missing.items() if files} == {}


def test_every_stage_lists_exactly_the_params_it_reads(stages, params):
    problems = {s["name"]: param_problems(params_read(s["script"], s["argv"], params), s["params"]) for s in stages}
    assert {name: p for name, p in problems.items() if p} == {}


def test_a_dropped_dependency_is_caught(stages):
    train = next(s for s in stages if s["name"].startswith("train_daad@"))
    closure = import_closure(ROOT / train["script"], train["family"])
    assert uncovered(closure, train["deps"]) == []
    without_memory = [d for d in train["deps"] if d != "pipeline/families/clip_ae/memory.py"]
    assert uncovered(closure, without_memory) == ["pipeline/families/clip_ae/memory.py"]  # DAAD's 1/N cut
    without_engine = [d for d in train["deps"] if d != "pipeline/engine"]
    assert "pipeline/engine/loop.py" in uncovered(closure, without_engine)
    # a family part loaded through the registry counts: the MNAD spec for an MNAD score stage
    score = next(s for s in stages if s["name"].startswith("score_memory@"))
    assert Path("pipeline/families/mnad/spec.py") in import_closure(ROOT / score["script"], score["family"])


def test_a_param_listed_but_not_read_or_read_but_not_listed_is_caught(stages, params):
    score = next(s for s in stages if s["name"].startswith("score@"))  # MNAD without memory
    reads = params_read(score["script"], score["argv"], params)
    assert param_problems(reads, score["params"]) == []
    assert param_problems(reads, score["params"] + ["lambda"]) == ["lists lambda but never reads it"]
    model = score["argv"][1]
    assert param_problems(reads, [k for k in score["params"] if k != f"models.{model}.train.memory"]) == [
        f"reads models.{model}.train.memory but lists no key above it"]
    infer = next(s for s in stages if s["name"].startswith("infer_clip@"))
    reads = params_read(infer["script"], infer["argv"], params)
    assert "runtime.num_workers" not in reads  # infer lists runtime.device and .cpu_threads, not the section
    # a train stage reads the loader's workers, which never change a result: listed nowhere
    train = next(s for s in stages if s["name"].startswith("train_clip@"))
    reads = params_read(train["script"], train["argv"], params)
    assert "runtime.num_workers" in reads and param_problems(reads, train["params"]) == []
    assert param_problems(reads, train["params"] + ["runtime"]) == [
        "lists runtime, which holds runtime.num_workers: a key that never changes a result must leave the cache valid"]


def test_tracked_params_record_leaves_and_whole_sections():
    reads: set[str] = set()
    p = Tracked({"a": {"b": 1, "c": {"d": 2}}, "e": [1, 2]}, "", reads)
    assert p["a"]["b"] == 1 and p["e"] == [1, 2] and p["a"].get("x", 5) == 5
    assert reads == {"a.b", "e", "a.x"}
    dict(p["a"]["c"])
    assert "a.c" in reads


def test_each_lock_records_only_stages_that_its_dvc_yaml_defines():
    """DVC never deletes the lock entry of a stage that dvc.yaml no longer defines. A stale
    entry describes outputs nothing produces any more, and it costs time: DVC re-parses and
    re-writes the whole lock after every stage it runs (about 1 s per stage with the 40 stale
    entries this test was written against)."""
    from dvc.repo import Repo

    defined: dict[str, set[str]] = {}
    with Repo(str(ROOT)) as repo:
        for stage in repo.index.stages:
            lock = Path(stage.dvcfile.path).relative_to(ROOT).with_name("dvc.lock")
            defined.setdefault(str(lock), set()).add(stage.name)
    locks = sorted(str(p.relative_to(ROOT)) for p in [*ROOT.glob("dvc.lock"), *ROOT.glob("dag/*/dvc.lock")])
    assert set(locks) <= set(defined), f"a dvc.lock without its dvc.yaml: {sorted(set(locks) - set(defined))}"
    stale = {lock: sorted(set(yaml.safe_load((ROOT / lock).read_text())["stages"]) - defined[lock]) for lock in locks}
    assert {lock: names for lock, names in stale.items() if names} == {}, "delete these lock entries"


def test_dvc_repro_reaches_every_stage_from_the_root_pipeline_file(dag_root):
    """`dvc repro` (and `dvc exp run`) without a target runs the root dvc.yaml's stages and
    everything upstream of them: a stage in dag/ whose outputs no root stage reads would never run."""
    import networkx as nx
    from dvc.repo import Repo

    with Repo(str(dag_root)) as repo:
        graph = repo.index.graph  # edges point from a stage to the stages it depends on
        roots = [s for s in graph if Path(s.dvcfile.path) == dag_root / "dvc.yaml"]
        reached = set(roots).union(*(nx.descendants(graph, s) for s in roots))
        assert len(graph) > 40 and {s.addressing for s in graph if s not in reached} == set()
        # and the check can fail: the report is what reaches the per-model stages
        report = next(s for s in roots if s.name == "report")
        without_report = set(roots) - {report}
        reached = without_report.union(*(nx.descendants(graph, s) for s in without_report))
        assert any(s.name.startswith("score_memory@") for s in graph if s not in reached)


# --- the registry's table and the DAG's blocks ------------------------------------------------
def _blocks(dvc_file: str) -> list[dict]:
    """Each block of a dag file: its family, the params lists its matrix (or foreach) runs
    over, and the top-level params keys it lists."""
    stages = yaml.safe_load((ROOT / dvc_file).read_text())["stages"]   # merge keys resolved
    out = []
    for name, block in stages.items():
        body = block.get("do", block)
        [local] = body["vars"]
        matrix = block.get("matrix") or {}
        lists = {axis: value.strip("${}") for axis, value in matrix.items() if axis in ("dataset", "model")}
        if "foreach" in block:
            lists = {"model": block["foreach"].strip("${}").removeprefix("released.")}
        out.append({"name": name, "family": local["family"], "model": lists["model"], "dataset": lists.get("dataset"),
                    "params": {str(p).split(".")[0] for p in body.get("params", [])}})
    return out


def _table_mismatches(blocks: list[dict], rows, reads: str | None = None) -> list[str]:
    """Where the blocks and the table's rows disagree: a list without a block or a block
    without a row, another family or dataset list, or (reads: the row's field) the extra
    params keys the row says its stages read."""
    from pipeline.families.lists import MODEL_LISTS

    extra = {key for row in MODEL_LISTS for key in (*row.train_reads, *row.score_reads)}
    by_list = {b["model"]: b for b in blocks}
    problems = [f"{row.name}: no block" for row in rows if row.name not in by_list]
    problems += [f"{b['name']}: runs {b['model']}, which is not a row of pipeline/families/lists.py"
                 for b in blocks if b["model"] not in {row.name for row in rows}]
    for row in rows:
        block = by_list.get(row.name)
        if block is None:
            continue
        if block["family"] != row.family:
            problems.append(f"{block['name']}: family {block['family']}, the table says {row.family}")
        if block["dataset"] not in (None, row.datasets):
            problems.append(f"{block['name']}: runs on {block['dataset']}, the table says {row.datasets}")
        if reads and block["params"] & extra != set(getattr(row, reads)):
            problems.append(f"{block['name']}: reads {sorted(block['params'] & extra)}, the table says "
                            f"{list(getattr(row, reads))}")
    return problems


def test_the_dags_blocks_are_the_registrys_model_lists():
    """One block per row of the model-list table (pipeline.families.lists) in dag/train,
    dag/infer and dag/score, with the row's family, dataset list and extra params; the
    released rows have their import, infer and score blocks in dag/released."""
    from pipeline.families.lists import MODEL_LISTS

    released = [row for row in MODEL_LISTS if row.released]
    for dvc_file, rows, reads in (("dag/train/dvc.yaml", MODEL_LISTS, "train_reads"),
                                  ("dag/infer/dvc.yaml", MODEL_LISTS, None),
                                  ("dag/score/dvc.yaml", MODEL_LISTS, "score_reads")):
        assert _table_mismatches(_blocks(dvc_file), rows, reads) == [], dvc_file
    blocks = _blocks("dag/released/dvc.yaml")
    for kind, reads in (("import_released", None), ("infer_released", None), ("score_released", "score_reads")):
        assert _table_mismatches([b for b in blocks if b["name"].startswith(kind)], released, reads) == [], kind


def test_the_block_check_fails_when_a_block_and_the_table_disagree():
    from pipeline.families.lists import MODEL_LISTS

    blocks = _blocks("dag/score/dvc.yaml")
    moved = [dict(b, dataset="image_datasets") if b["model"] == "clip_models" else b for b in blocks]
    assert _table_mismatches(moved, MODEL_LISTS) == ["score_clip: runs on image_datasets, the table says datasets"]
    assert _table_mismatches(blocks[1:], MODEL_LISTS) == [f"{blocks[0]['model']}: no block"]
    no_lambda = [dict(b, params=b["params"] - {"lambda"}) for b in blocks]
    assert _table_mismatches(no_lambda, MODEL_LISTS, "score_reads") == [
        "score_memory: reads [], the table says ['lambda']"]
