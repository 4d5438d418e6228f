"""The outcomes room's tests reuse the pipeline's end-to-end fixture (``routed``: the app served on
a real port, connections pointed at the CRM sandbox, a starter config from its rosters) and the
notify room's (``kit`` / ``served``: Slack configured against the sandbox's workspace)."""

from tests.notify.conftest import kit, sandbox, served  # noqa: F401  (fixtures, registered by import)
from tests.pipeline.conftest import routed  # noqa: F401
