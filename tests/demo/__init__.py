"""The first-run demo (connector/demo.py)."""
