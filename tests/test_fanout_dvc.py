"""The DVC internals `memaudit repro` calls (pipeline.fanout.dag.DVC_INTERNALS) are where it
expects them, with the keyword parameters it passes: after a DVC upgrade this fails naming
the one that moved, before a fan-out could record a stage wrongly."""
import importlib
import inspect

import pytest

from pipeline.fanout.dag import DVC_INTERNALS


def _resolve(module: str, name: str):
    value = importlib.import_module(module)
    for part in name.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("module, name, keywords", DVC_INTERNALS, ids=[f"{m}.{n}" for m, n, _ in DVC_INTERNALS])
def test_each_dvc_internal_the_coordinator_uses_is_there(module, name, keywords):
    try:
        value = _resolve(module, name)
    except (ImportError, AttributeError) as err:
        pytest.fail(f"{module}.{name} moved in this DVC ({importlib.metadata.version('dvc')}): {err}; "
                    "pipeline/fanout/dag.py and execute.py need updating")
    if keywords:
        parameters = inspect.signature(value).parameters
        missing = [k for k in keywords if k not in parameters]
        assert not missing, f"{module}.{name} no longer takes {missing} (DVC {importlib.metadata.version('dvc')})"


def test_the_check_fails_by_name_when_an_internal_moves():
    with pytest.raises(AttributeError):
        _resolve("dvc.stage", "Stage.no_such_method")
    assert "update_pipeline" in inspect.signature(_resolve("dvc.dvcfile", "ProjectFile.dump")).parameters
