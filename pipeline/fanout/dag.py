"""The audit DAG as `dvc repro` plans it, and DVC's own bookkeeping for one stage.

Everything here runs in the coordinating process, under DVC's repository lock, through
DVC's own Stage methods in the order `dvc repro` calls them (dvc/repo/reproduce.py,
dvc/stage/__init__.py: Stage.reproduce, Stage.run, dvc/stage/run.py: run_stage):

    decide     a stage whose upstream stages are settled is `changed()` or not (with the
               upstream stages it depends on, as repro passes them); unchanged: skipped
    prepare    its outputs are removed (persistent ones kept), and DVC's run-cache is
               tried: a stage run before with the same command, dependencies and params
               has its outputs checked out instead of running
    record     after its command succeeded elsewhere: save (dependency and output hashes,
               the run-cache entry), commit (outputs into the cache), dump (its dvc.lock entry)
    flush      the dump, for every stage recorded since the last flush: DVC re-parses and
               rewrites a whole dvc.lock to dump into it (0.9 s for the default's 51 training
               entries, CPU time the running stages lose), so the entries of one lock go in
               together, with one rewrite, every FLUSH_SECONDS, before a stage nothing depends
               on starts (the report reads dvc.lock: it finds what a serial run leaves there),
               and when the run ends (also on Ctrl-C or a failure). A coordinator killed
               before a flush loses no work:
               the run-cache entries are written at save, and the next run restores those
               stages from it.

So afterwards dvc.lock and the cache hold what a serial `dvc repro` would have written, and
`dvc status` is clean. One difference had to be undone: a lock file lists its stages in
the order they were first written, which for stages new to the file is completion order
here; each lock is put back in the order a serial run writes it (its entries at the start,
then new ones in DVC's evaluation order), so the files are byte-identical too.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

FLUSH_SECONDS = 60.0

# DVC internals the coordinator calls (pipeline/fanout/dag.py, execute.py), with the keyword
# parameters it passes: DVC does not promise them between releases, so pyproject keeps
# dvc below its next major and tests/test_fanout_dvc.py fails naming the one that moved.
DVC_INTERNALS = (
    ("dvc.repo", "Repo", ()),
    ("dvc.repo", "lock_repo", ()),
    ("dvc.repo.reproduce", "collect_stages", ()),
    ("dvc.repo.reproduce", "get_active_graph", ()),
    ("dvc.repo.reproduce", "plan_repro", ()),
    ("dvc.stage", "Stage.changed", ("upstream",)),
    ("dvc.stage", "Stage.remove_outs", ("ignore_remove", "force")),
    ("dvc.stage", "Stage.save_deps", ()),
    ("dvc.stage", "Stage.save", ("run_cache",)),
    ("dvc.stage", "Stage.commit", ()),
    ("dvc.dvcfile", "ProjectFile.dump_stages", ("update_pipeline",)),   # what Stage.dump does, for several stages
    ("dvc.stage.cache", "RunCacheNotFoundError", ()),
    ("dvc.stage.cache", "StageCache.restore", ()),
    ("dvc.stage.run", "_make_cmd", ()),
    ("dvc.stage.run", "get_executable", ()),
    ("dvc.utils", "fix_env", ()),
    ("dvc.utils.serialize", "load_yaml", ()),
    ("dvc.utils.serialize", "modify_yaml", ("fs",)),
    ("dvc.env", "DVC_ROOT", ()),
    ("dvc.env", "DVC_STAGE", ()),
)


class Dag:
    """The stages `dvc repro` (no target: the root dvc.yaml and everything upstream of it)
    would evaluate, in its order, with each stage's upstream stages."""

    def __init__(self, root: str | Path):
        from dvc.repo import Repo
        from dvc.repo.reproduce import collect_stages, get_active_graph, plan_repro

        self.root = Path(root).resolve()
        self.repo = Repo(str(self.root))
        with self.locked():
            graph = get_active_graph(self.repo.index.graph)
            self.steps = plan_repro(graph, collect_stages(self.repo, [str(self.root / "dvc.yaml")]))
            evaluated = set(self.steps)
            self.upstream = {s: [u for u in graph.successors(s) if u in evaluated] for s in self.steps}
            self.sinks = evaluated - {u for ups in self.upstream.values() for u in ups}   # no stage here depends on them
            self._present = {lock: self._lock_order(lock) for lock in {self.lock_file(s) for s in self.steps}}
            # .gitignore entries DVC adds beside outputs as it records them: likewise completion order
            self._ignores: dict[str, list[str]] = {}   # file -> entries in DVC's evaluation order
            for step in self.steps:
                for path in self._ignored(step):
                    self._ignores.setdefault(str(path.parent / ".gitignore"), []).append(f"/{path.name}")
            self._ignores_at_start = {f: _lines(Path(f)) for f in self._ignores}
            self._initial = {lock: {name: i for i, name in enumerate(names)} for lock, names in self._present.items()}
        self._unwritten: dict[str, list] = {}   # lock file -> stages recorded, their entries not yet dumped
        self._flushed = time.monotonic()

    @contextmanager
    def locked(self):
        """DVC's repository lock (what every dvc command holds): no other dvc command changes
        the workspace's records meanwhile."""
        from dvc.repo import lock_repo

        with lock_repo(self.repo):
            yield

    def close(self) -> None:
        self.repo.close()

    @staticmethod
    def name(stage) -> str:
        """A stage's name without its file: train_memory@synthetic-pred_mem."""
        return stage.addressing.rsplit(":", 1)[-1]

    def changed(self, stage) -> bool:
        return stage.changed(upstream=self.upstream[stage])

    def prepare(self, stage) -> str:
        """'restored' (DVC's run-cache had the outputs: recorded, nothing to run) or 'run'
        (outputs removed, dependencies saved: the command may start)."""
        from dvc.stage.cache import RunCacheNotFoundError

        stage.remove_outs(ignore_remove=False, force=False)
        try:
            self.repo.stage_cache.restore(stage)
        except RunCacheNotFoundError:
            stage.save_deps()
            return "run"
        self.record(stage)
        return "restored"

    def record(self, stage) -> None:
        """What `dvc repro` does after a stage's command succeeded: save, commit, dump (the
        dump at the next flush)."""
        no_cache_outs = any(not out.use_cache for out in stage.outs if not (out.is_metric or out.is_plot))
        stage.save(run_cache=not no_cache_outs)
        stage.commit()
        for path in self._ignored(stage):
            self._restore_ignore_order(str(path.parent / ".gitignore"))
        self._unwritten.setdefault(self.lock_file(stage), []).append(stage)
        if time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Dump the entries of the stages recorded since the last flush: one rewrite per lock
        file (DVC's dump of several stages at once), then a serial run's order."""
        for lock, stages in self._unwritten.items():
            stages[0].dvcfile.dump_stages(stages, update_pipeline=False)
            new = [self.name(s) for s in stages if self.name(s) not in self._present[lock]]
            if new:
                self._present[lock].extend(new)
                if self._present[lock] != sorted(self._present[lock], key=lambda n: self._serial_key(lock, n)):
                    self._restore_order(lock)
        self._unwritten.clear()
        self._flushed = time.monotonic()

    def outputs(self, stage) -> list[str]:
        """Paths of the stage's outputs that a run replaces (not persistent)."""
        return [str(Path(out.fs_path)) for out in stage.outs if not out.persist]

    @staticmethod
    def _ignored(stage) -> list[Path]:
        """Outputs DVC lists in a .gitignore beside them (those in its cache)."""
        return [Path(out.fs_path) for out in stage.outs if out.use_scm_ignore]

    def _restore_ignore_order(self, gitignore: str) -> None:
        """A .gitignore's entries in a serial run's order: those there at the start first, then
        the others in DVC's evaluation order."""
        lines = _lines(Path(gitignore))
        start, serial = self._ignores_at_start.get(gitignore, []), self._ignores.get(gitignore, [])
        added = sorted((line for line in lines if line not in start),
                       key=lambda line: serial.index(line) if line in serial else len(serial))
        ordered = [line for line in lines if line in start] + added
        if ordered != lines:
            Path(gitignore).write_text("".join(f"{line}\n" for line in ordered))

    @staticmethod
    def lock_file(stage) -> str:
        return str(Path(stage.dvcfile.path).with_name("dvc.lock"))

    def _lock_order(self, path: str) -> list[str]:
        from dvc.utils.serialize import load_yaml

        return list((load_yaml(path) or {}).get("stages", {})) if Path(path).exists() else []

    def _serial_key(self, lock: str, name: str) -> tuple[int, int]:
        """Where a serial run puts an entry: present at the start, where it was; else by
        DVC's evaluation order."""
        if name in self._initial[lock]:
            return 0, self._initial[lock][name]
        return 1, next((i for i, s in enumerate(self.steps) if self.lock_file(s) == lock and self.name(s) == name),
                       len(self.steps))

    def _restore_order(self, lock: str) -> None:
        from dvc.utils.serialize import modify_yaml

        with modify_yaml(lock, fs=self.repo.fs) as data:
            stages = data["stages"]
            ordered = sorted(stages, key=lambda n: self._serial_key(lock, n))
            data["stages"] = type(stages)((name, stages[name]) for name in ordered)
        self._present[lock] = ordered


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []
