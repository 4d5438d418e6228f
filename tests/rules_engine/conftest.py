"""Fixtures for the rules engine tests; builders live in engine_helpers.py."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so `pytest tests/rules_engine` works without `python -m`
    sys.path.insert(0, str(ROOT))



@pytest.fixture
def example_config_text() -> str:
    return (ROOT / "tests" / "data" / "routing.yaml").read_text()


@pytest.fixture(scope="session")
def example_config_text_cached():
    from rules_engine import load_config
    return load_config((ROOT / "tests" / "data" / "routing.yaml").read_text())
