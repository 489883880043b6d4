"""Portable CPU numerics (pipeline.numerics): what the setting sets, that every stage script
sets it before a numeric library loads, and that a stage process computes with it whatever
the shell had set."""
import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import numerics

from conftest import ROOT

AVX2_ONLY = {"avx", "avx2", "fma", "sse4_2"}
AVX512 = AVX2_ONLY | {"avx512f", "avx512bw", "avx512_vnni"}
# A shell that asks every library for something else than the portable setting.
HOSTILE = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "AUTO", "ONEDNN_MAX_CPU_ISA": "ALL", "DNNL_MAX_CPU_ISA": "ALL",
           "OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "3", "OPENBLAS_CORETYPE": "Prescott",
           "NPY_DISABLE_CPU_FEATURES": "X86_V3", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "MKL_DYNAMIC": "TRUE"}


def test_the_portable_setting_caps_every_library_at_avx2_and_fixes_the_threads():
    env = numerics.portable_env(3, AVX2_ONLY)
    assert env["ATEN_CPU_CAPABILITY"] == "avx2" and env["ONEDNN_MAX_CPU_ISA"] == env["DNNL_MAX_CPU_ISA"] == "AVX2"
    assert env["MKL_CBWR"] == "COMPATIBLE"   # the only MKL branch kept on every vendor's CPU
    assert env["NPY_ENABLE_CPU_FEATURES"] == "X86_V3" and env["OPENBLAS_CORETYPE"] == "Haswell"
    assert [env[v] for v in numerics.THREAD_VARIABLES] == ["3", "3", "3"]
    assert "OPENCV_CPU_DISABLE" not in env   # nothing above AVX2 to switch off
    # OpenCV's AVX-512 paths are switched off where the CPU has them (naming one it lacks is an error line)
    assert numerics.portable_env(1, AVX512)["OPENCV_CPU_DISABLE"] == "AVX512-SKX,AVX512-CLX"


def test_a_cpu_without_avx2_gets_one_line_naming_the_key_and_the_way_out():
    with pytest.raises(numerics.UnsupportedCPU, match=r"runtime.numerics.*without avx2, fma.*runtime.numerics: native"):
        numerics.portable_env(2, {"sse4_2"})


def test_apply_replaces_what_the_shell_set_and_native_leaves_it():
    shell = dict(HOSTILE)
    numerics.apply("portable", 2, shell)
    assert shell["ATEN_CPU_CAPABILITY"] == "avx2" and shell["MKL_CBWR"] == "COMPATIBLE" and shell["OMP_NUM_THREADS"] == "2"
    assert "NPY_DISABLE_CPU_FEATURES" not in shell and "MKL_ENABLE_INSTRUCTIONS" not in shell
    untouched = dict(HOSTILE)
    assert numerics.apply("native", 2, untouched) == {} and untouched == HOSTILE
    with pytest.raises(ValueError, match="portable"):
        numerics.apply("fast", 2, {})


def _imports(script: Path) -> list[str]:
    """Top-level modules a script imports, in order."""
    names = []
    for node in ast.parse(script.read_text()).body:
        if isinstance(node, ast.Import):
            names += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "stages").glob("[!_]*.py")))
def test_every_stage_script_imports_the_stage_glue_before_anything_numeric(script):
    names = _imports(ROOT / "stages" / script)
    first_other = next(i for i, n in enumerate(names) if n not in sys.stdlib_module_names)
    assert names[first_other] == "_common", f"stages/{script} imports {names[first_other]} before _common"
    # and the glue applies the setting before it imports anything that loads NumPy
    body = ast.parse((ROOT / "stages" / "_common.py").read_text()).body
    applied = next(i for i, n in enumerate(body) if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "APPLIED")
    before = [n.module or "" for n in body[:applied] if isinstance(n, ast.ImportFrom)] + \
        [a.name for n in body[:applied] if isinstance(n, ast.Import) for a in n.names]
    assert {m.split(".")[0] for m in before} - set(sys.stdlib_module_names) == {"yaml", "pipeline"}
    assert [m for m in before if m.startswith("pipeline")] == ["pipeline"]   # from pipeline import numerics


def test_the_numerics_module_loads_no_numeric_library():
    code = ("import sys; sys.path.insert(0, '.'); import pipeline.numerics\n"
            "assert not {'numpy', 'torch', 'cv2', 'scipy'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_a_stage_process_computes_with_the_portable_setting_whatever_the_shell_set(tmp_path):
    """A real stage (DAAD's toy: torch and NumPy) run as DVC runs it, from a shell that asks for
    other kernels and threads: the process reports torch at AVX2, one thread (the toy is not
    a threaded stage), and every library's variable at the portable value; its outputs equal
    those of a run from a clean shell."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    clean = {k: v for k, v in os.environ.items() if k not in HOSTILE}

    def run(env, out):
        subprocess.run([sys.executable, str(ROOT / "stages" / "daad_toy.py"), out], cwd=tmp_path, env=env, check=True,
                       capture_output=True)
        return json.loads((tmp_path / "runs" / "timings" / "toy" / f"{Path(out).name}.json").read_text())["numerics"]
    facts = run({**clean, **HOSTILE}, "runs/toy/hostile")
    assert facts["mode"] == "portable" and facts["torch_cpu_capability"] == "AVX2" and facts["torch_threads"] == 1
    assert all(facts[k] == v for k, v in numerics.PORTABLE_ENV.items())
    assert {facts[v] for v in numerics.THREAD_VARIABLES} == {"1"}
    run(clean, "runs/toy/clean")
    hostile, plain = (sorted((tmp_path / "runs" / "toy" / name).iterdir()) for name in ("hostile", "clean"))
    assert [p.read_bytes() for p in hostile] == [p.read_bytes() for p in plain]


def test_native_leaves_the_shell_in_charge(tmp_path):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["runtime"]["numerics"] = "native"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "default"}
    subprocess.run([sys.executable, str(ROOT / "stages" / "daad_toy.py"), "runs/toy/daad"], cwd=tmp_path, env=env,
                   check=True, capture_output=True)
    facts = json.loads((tmp_path / "runs" / "timings" / "toy" / "daad.json").read_text())["numerics"]
    assert facts["mode"] == "native" and facts["torch_cpu_capability"] == "DEFAULT"
