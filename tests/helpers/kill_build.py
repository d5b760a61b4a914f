"""Run `python -m chatbot ARGS...`, but SIGKILL this very process when the build reaches STEP.

Usage: python tests/helpers/kill_build.py STEP ARGS...

The kill points are armed here, by wrapping the functions a build calls, so the production code
carries no test hooks. The kill is real: the process dies at once, with files half written.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
from pathlib import Path


def die(*args, **kwargs) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def on_call(number: int, original, *, when=lambda *a, **k: True):
    """`original`, except that its `number`-th call matching `when` kills the process first."""
    calls = 0

    def wrapper(*args, **kwargs):
        nonlocal calls
        if when(*args, **kwargs):
            calls += 1
            if calls == number:
                die()
        return original(*args, **kwargs)

    return wrapper


def arm(step: str) -> None:
    import faiss

    import chatbot.index.folders as folders
    import chatbot.index.onnx_encoder as onnx_encoder
    import chatbot.index.torch_encoder as torch_encoder

    if step == "vectors":  # passages.faiss written, sentences.faiss not yet
        faiss.write_index = on_call(2, faiss.write_index)
    elif step == "manifest":  # every file written, nothing synced, folder still .tmp-build-*
        folders.fsync_tree = die
    elif step == "publish":  # folder renamed to build-*, CURRENT not yet pointed at it
        folders.point_current = die
    elif step == "switch":  # new pointer written beside CURRENT, not yet moved over it
        os.replace = on_call(1, os.replace, when=lambda src, dst, **k: Path(dst).name == "CURRENT")
    elif step == "cleanup":  # CURRENT switched to the new build, the old one not yet removed
        folders.remove_old_builds = die
    elif step == "cleanup-midway":  # old build half deleted
        os.unlink = on_call(3, os.unlink)
    elif step == "export":  # ONNX export starting (before any vector is embedded)
        torch_encoder.export_onnx_apart = die
    elif step == "embed":  # the build's new texts being embedded, nothing written yet
        onnx_encoder.OnnxEncoder.encode_batched = die
    else:
        raise SystemExit(f"unknown step {step!r}")


if __name__ == "__main__":
    arm(sys.argv[1])
    sys.argv = ["python -m chatbot", *sys.argv[2:]]
    runpy.run_module("chatbot", run_name="__main__", alter_sys=True)
