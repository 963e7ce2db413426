"""Shared helpers for interop tests: the whittle binary, fixture discovery, running commands."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Fixtures"
BAD_INPUTS = ROOT / "Tests" / "BadInputs"


def whittle_binary() -> str:
    path = os.environ.get("WHITTLE", str(ROOT / ".build" / "debug" / "whittle"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"whittle binary not found at {path}: run `swift build` (make test does)")
    return path


def run_whittle(*args, check=True, timeout=120):
    result = subprocess.run([whittle_binary(), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"whittle {' '.join(map(str, args))} failed ({result.returncode}): {result.stderr}")
    return result


def fixture_models():
    return sorted(p for p in FIXTURES.rglob("*.onnx"))


def fixture_id(path: pathlib.Path) -> str:
    return str(path.relative_to(FIXTURES))
