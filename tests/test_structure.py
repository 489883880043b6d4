"""The layout keeps its promises: no import circle inside pipeline/, no module over 300 lines,
and no branch on a family's or a dataset's name outside the places that declare them (a
family's own folder, the dataset table): a new family or dataset is added there, and
nothing else needs to know its name. Each check is shown to fail on a made-up module."""
from __future__ import annotations

import ast
from pathlib import Path

from pipeline.data.datasets import DATASETS
from pipeline.families.lists import FAMILIES

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "pipeline"
MAX_LINES = 300
# Where a family's or dataset's name may decide what happens.
DECLARING = ("pipeline/families/mnad/", "pipeline/families/clip_ae/", "pipeline/families/daad/",
             "pipeline/families/image_ae/", "pipeline/data/datasets.py")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(files: dict[str, str]) -> dict[str, set[str]]:
    """module -> the pipeline modules it imports (anywhere in it, functions included);
    `files`: module name -> source."""
    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, source in files.items():
        edges = set()
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in files else node.module
                         for alias in node.names]
            edges |= {target for target in map(resolve, names) if target and target != module}
        graph[module] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def name_branches(source: str) -> list[str]:
    """Comparisons that decide on a family's name (`family == "mnad"`, `family in (...)`) or
    on a dataset's name (any comparison with a dataset of the table), as source text."""
    families, datasets = set(FAMILIES), set(DATASETS)
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        strings = {c.value for side in (node.left, *node.comparators) for c in ast.walk(side)
                   if isinstance(c, ast.Constant) and isinstance(c.value, str)}
        if strings & datasets or (strings & families and "family" in ast.unparse(node)):
            found.append(ast.unparse(node))
    return found


def pipeline_sources() -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(PIPELINE.rglob("*.py"))}


def test_no_import_circle_in_pipeline():
    files = {module_name(path): source for path, source in pipeline_sources().items()}
    assert circles(import_graph(files)) == []


def test_the_circle_check_finds_a_circle():
    files = {"pipeline.a": "from pipeline.b import x", "pipeline.b": "def f():\n    from pipeline.a import y",
             "pipeline.c": "import pipeline.a"}
    assert circles(import_graph(files)) == [["pipeline.a", "pipeline.b"]]


def test_no_module_in_pipeline_is_over_300_lines():
    long = {str(path.relative_to(ROOT)): len(source.splitlines()) for path, source in pipeline_sources().items()
            if len(source.splitlines()) > MAX_LINES}
    assert long == {}


def test_no_branch_on_a_family_or_dataset_name_outside_their_declarations():
    sources = {**pipeline_sources(), **{path: path.read_text() for path in sorted((ROOT / "stages").glob("*.py"))}}
    branches = {str(path.relative_to(ROOT)): name_branches(source) for path, source in sources.items()
                if not str(path.relative_to(ROOT)).startswith(DECLARING)}
    assert {path: found for path, found in branches.items() if found} == {}


def test_the_branch_check_finds_the_branches_it_forbids():
    source = ("if family == 'mnad':\n    pass\nif params['family'] in ('daad', 'clip_ae'):\n    pass\n"
              "if dataset != 'shanghaitech':\n    pass\nif 'ped2' in datasets:\n    pass\n"
              "if kind == 'video':\n    pass\n")
    assert name_branches(source) == ["family == 'mnad'", "params['family'] in ('daad', 'clip_ae')",
                                     "dataset != 'shanghaitech'", "'ped2' in datasets"]
