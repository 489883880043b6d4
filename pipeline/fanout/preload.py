"""A stage-process template: started once per worker as a script (`python preload.py`, so
without this package), it imports PRELOAD under the environment it was given, then forks
one child per stage, each becoming `python <script> <arguments>` in the stage's directory,
environment and log. Requests and answers are JSON lines on its stdin and stdout:

    -> {"script", "arguments", "wdir", "env", "log"}
    <- {"pid": the child's pid}      then, when the child has ended,
    <- {"exit": its status as subprocess gives it: the exit code, or minus the signal}

The worker side is pipeline.fanout.execute; a fork saves each stage the seconds of
importing torch and pandas. It forks from one thread only (the libraries load with one
compute thread, which start none).
"""
import json
import os
import signal
import sys

PRELOAD = ("numpy", "torch", "torch._dynamo", "torch.optim", "pandas", "cv2", "scipy.stats", "sklearn.metrics")


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent dies. A worker's stage process, its
    template, and the template's stage processes carry it: a killed worker must not leave a
    stage writing outputs while Dask runs the stage again elsewhere (the shell runs a single
    command by exec, so a stage started through it carries it too)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def become_stage(request: dict, answers: int) -> int:
    """In the forked child: the stage's session, directory, environment, log and command
    line; runs the script as __main__ and returns the status `python script` exits with."""
    import atexit
    import runpy
    import traceback

    os.close(answers)
    os.setsid()
    die_with_parent()
    os.chdir(request["wdir"])
    os.environ.clear()
    os.environ.update(request["env"])
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdin = open(0, closefd=False)
    sys.stdout, sys.stderr = open(1, "w", closefd=False), open(2, "w", buffering=1, closefd=False)
    script = request["script"]
    sys.argv = [script, *request["arguments"]]
    sys.path[0] = os.path.dirname(os.path.abspath(script))   # as `python script` puts it first
    status = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            status = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
            status = 1
    except BaseException:   # what the interpreter prints before it exits with 1
        traceback.print_exc()
        status = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    return status


def serve() -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)   # nothing a library prints can break the protocol
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                status = become_stage(request, answers.fileno())
            finally:
                os._exit(status)
        answers.write(json.dumps({"pid": pid}) + "\n")
        answers.flush()
        _, wait_status = os.waitpid(pid, 0)
        answers.write(json.dumps({"exit": os.waitstatus_to_exitcode(wait_status)}) + "\n")
        answers.flush()


if __name__ == "__main__":
    die_with_parent()
    serve()
