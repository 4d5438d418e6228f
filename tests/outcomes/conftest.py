"""The outcomes room's tests reuse the pipeline's end-to-end fixture (the app served on a real
port, connections pointed at the CRM sandbox, a starter config from the sandbox's rosters)."""

from tests.pipeline.conftest import routed  # noqa: F401  (a fixture, registered by import)
