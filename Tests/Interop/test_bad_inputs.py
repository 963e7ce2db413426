"""Malformed files give exit 1 and one line on stderr naming what and where; never a crash."""
import json

import pytest

from conftest import BAD_INPUTS, run_whittle

EXPECTED = json.loads((BAD_INPUTS / "expected.json").read_text()) if (BAD_INPUTS / "expected.json").exists() else {}


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("command", ["inspect", "check", "convert"])
def test_bad_input_fails_cleanly(name, command, tmp_path):
    path = BAD_INPUTS / name
    args = [command, path] + (["-o", tmp_path / "out.onnx"] if command == "convert" else [])
    result = run_whittle(*args, check=False, timeout=60)
    assert result.returncode == 1, f"exit {result.returncode}, stderr: {result.stderr}"
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {result.stderr!r}"
    message = lines[0].lower()
    for needle in EXPECTED[name]["substrings"]:
        assert needle.lower() in message, f"{needle!r} missing from: {lines[0]}"
    assert not (tmp_path / "out.onnx").exists()
