"""The benchmark scripts run (CPU smoke size); they print tables, no ratio is asserted."""
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("script, args", [("train_throughput.py", ["--smoke", "--workers", "0"]),
                                          ("score_throughput.py", ["--smoke"]),
                                          ("paper_size_training.py", ["--smoke", "--epochs", "1"]),
                                          ("extract_throughput.py", ["--videos", "2", "--frames", "20", "--workers", "2"]),
                                          ("prepared_format.py", ["--frames", "40", "--size", "64"]),
                                          ("lock_rewrite.py", ["--repeats", "1"])])
def test_benchmark_smoke_run(script, args):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| ---" in result.stdout
