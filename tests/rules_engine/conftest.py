"""Fixtures for the rules engine tests; builders live in engine_helpers.py."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]   # on sys.path by pytest's pythonpath (pyproject.toml)


@pytest.fixture
def example_config_text() -> str:
    return (ROOT / "tests" / "data" / "routing.yaml").read_text()


@pytest.fixture(scope="session")
def example_config_text_cached():
    from rules_engine import load_config
    return load_config((ROOT / "tests" / "data" / "routing.yaml").read_text())
