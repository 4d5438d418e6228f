"""The REST API versions the sandbox's Salesforce answers (Versions URI), and the one it uses
for shapes it builds itself (record URLs of outbound messages, the control plane)."""
from __future__ import annotations

DEFAULT_VERSION = "59.0"
API_VERSIONS = {"55.0": "Summer '22", "56.0": "Winter '23", "57.0": "Spring '23",
                "58.0": "Summer '23", "59.0": "Winter '24", "60.0": "Spring '24",
                "61.0": "Summer '24", "62.0": "Winter '25"}

__all__ = ["API_VERSIONS", "DEFAULT_VERSION"]
