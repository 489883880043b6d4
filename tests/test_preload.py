"""A worker forks stage scripts from a template that imported torch and pandas once
(pipeline/fanout/execute.py, preload.py): only commands whose libraries would load exactly
as in their own process, and each child behaves as `python <script>` started by the shell."""
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest
import yaml

from pipeline import numerics
from pipeline.fanout.execute import StageTask, preloadable, run_stage

ROOT = Path(__file__).resolve().parents[1]
PROBE = """\
import json, os, sys
preloaded, path0 = "torch" in sys.modules, sys.path[0]   # before this script imported anything
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # as stages/_common.py does
import pipeline
print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "stage": os.environ.get("DVC_STAGE"),
                  "mark": getattr(pipeline, "MARK", None), "preloaded": preloaded, "session": os.getsid(0) == os.getpid(),
                  "path0": path0}))
if sys.argv[1] == "raise":
    raise RuntimeError("a stage's own error")
if sys.argv[1] == "sleep":
    import time
    time.sleep(60)
sys.exit(int(sys.argv[1]))
"""


def _workspace(root: Path, threads: int = 1, mode: str = "portable") -> Path:
    """A stage script beside stages/_common.py, this checkout's numerics code, a params file,
    and a `pipeline` package of its own (the stage must import the workspace's)."""
    (root / "stages").mkdir(parents=True)
    (root / "pipeline").mkdir()
    (root / "stages" / "_common.py").write_text("")
    (root / "stages" / "train.py").write_text(PROBE)
    (root / "stages" / "score.py").write_text(PROBE)
    shutil.copy(ROOT / "pipeline" / "numerics.py", root / "pipeline" / "numerics.py")
    (root / "pipeline" / "__init__.py").write_text("MARK = 'the workspace copy'\n")
    (root / "params.yaml").write_text(yaml.safe_dump({"runtime": {"cpu_threads": threads, "numerics": mode}}))
    return root


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def _run(repo: Path, cmd: str, stop=None) -> tuple[dict, dict]:
    task = StageTask(address=f"{repo}/dvc.yaml:probe", cmd=cmd, wdir=str(repo), outputs=(), log=str(repo / "probe.log"),
                     root=str(repo))
    result = run_stage(task, stop)
    lines = Path(task.log).read_text().splitlines()
    printed = next((json.loads(line) for line in lines if line.startswith("{")), {})
    return result, printed


def test_only_plain_python_stage_commands_whose_libraries_load_alike_are_forked(tmp_path, monkeypatch):
    repo = _workspace(tmp_path / "repo")
    env = _env()
    command = preloadable("python stages/train.py  synthetic pred --seed 0\n --family mnad", str(repo), env)
    assert command.script == str(repo / "stages" / "train.py")
    assert command.arguments == ["synthetic", "pred", "--seed", "0", "--family", "mnad"]
    assert command.python == str(Path(sys.executable).parent / "python")   # the name the shell would run
    assert command.load_env["OMP_NUM_THREADS"] == "1" and command.load_env["ATEN_CPU_CAPABILITY"] == "avx2"
    for cmd in ("python stages/train.py a && rm -rf data",   # the shell would interpret it
                "python -u stages/train.py a",               # interpreter options
                "python stages/train.py $HOME",
                "echo stages/train.py",
                "python other/train.py a"):                  # not beside stages/_common.py
        assert preloadable(cmd, str(repo), env) is None, cmd
    assert preloadable("python stages/train.py a", str(repo), {**env, "PATH": "/usr/bin:/bin"}) is None, \
        "`python` on the stage's PATH is another interpreter"
    two = _workspace(tmp_path / "two", threads=2)
    assert preloadable("python stages/train.py a", str(two), env) is None, "a training stage with 2 threads"
    assert preloadable("python stages/score.py a", str(two), env) is not None, "scores compute with one thread"
    assert preloadable("python stages/train.py a", str(_workspace(tmp_path / "native", mode="native")), env) is None
    other = _workspace(tmp_path / "other")
    (other / "pipeline" / "numerics.py").write_text((other / "pipeline" / "numerics.py").read_text() + "\n# edited\n")
    assert preloadable("python stages/train.py a", str(other), env) is None, "the workspace's numerics code differs"


@pytest.fixture
def stage_env(monkeypatch):
    monkeypatch.setenv("PATH", _env()["PATH"])


def test_a_forked_stage_is_its_own_process_with_its_arguments_directory_environment_and_status(tmp_path, stage_env):
    repo = _workspace(tmp_path / "repo")
    result, printed = _run(repo, "python stages/train.py 0 --seed 1")
    assert result["returncode"] == 0 and result["preloaded"]
    assert printed == {"argv": ["0", "--seed", "1"], "cwd": str(repo), "stage": f"{repo}/dvc.yaml:probe",
                       "mark": "the workspace copy", "preloaded": True, "session": True,
                       "path0": str(repo / "stages")}
    result, printed = _run(repo, "python stages/train.py 3")
    assert result["returncode"] == 3 and printed["argv"] == ["3"]
    result, _ = _run(repo, "python stages/train.py raise")
    assert result["returncode"] == 1 and "RuntimeError: a stage's own error" in (repo / "probe.log").read_text()


def test_a_stage_the_template_cannot_run_goes_through_the_shell_with_the_same_outcome(tmp_path, stage_env):
    repo = _workspace(tmp_path / "repo", threads=2)
    result, printed = _run(repo, "python stages/train.py 4")
    assert result["returncode"] == 4 and not result["preloaded"] and printed["preloaded"] is False
    assert printed["argv"] == ["4"] and printed["cwd"] == str(repo) and printed["mark"] == "the workspace copy"


class _StopAfter:
    def __init__(self, seconds: float):
        self.at = time.time() + seconds

    def is_set(self) -> bool:
        return time.time() > self.at


def test_a_stop_ends_a_forked_stage(tmp_path, stage_env):
    repo = _workspace(tmp_path / "repo")
    started = time.time()
    result, printed = _run(repo, "python stages/train.py sleep", stop=_StopAfter(3))
    assert printed["argv"] == ["sleep"] and result["stopped"] and result["returncode"] == -signal.SIGTERM
    assert time.time() - started < 30


def test_the_template_loads_its_libraries_under_the_numerics_a_stage_process_sets():
    """What preloadable gives the template is what stages/_common.py applies before a stage
    imports torch: the portable variables and one thread, whatever the shell has."""
    shell = {**os.environ, "OMP_NUM_THREADS": "8", "ATEN_CPU_CAPABILITY": "avx512"}
    expected = dict(shell)
    numerics.apply("portable", 1, expected)
    repo = ROOT
    command = preloadable("python stages/score.py x", str(repo), {**shell, "PATH": _env()["PATH"],
                                                                  "DVC_STAGE": "dvc.yaml:report"})
    expected["PATH"] = _env()["PATH"]
    assert command.load_env == expected, "the same variables, and the stage's name left out (every stage shares the template)"
