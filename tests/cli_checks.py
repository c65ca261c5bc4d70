"""Shared check of the CLI tests: a user error is one line on stderr, exit code 2."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner


def cli_error(app: Any, *args: str) -> str:
    """Run ``app`` with ``args``; assert a one-line ``error:`` on stderr, code 2, no traceback."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]
