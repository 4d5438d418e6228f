"""Helpers the test suite and CI share (no tests here)."""
