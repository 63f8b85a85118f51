"""Helpers for the source tests: write a file's exact bytes and read it back."""

from __future__ import annotations

import pytest


@pytest.fixture
def put(tmp_path):
    """put(name, text_or_bytes, encoding="utf-8") → the path of a file holding exactly those bytes."""

    def _put(name: str, content: str | bytes, encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _put
