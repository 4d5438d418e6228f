"""Every room's tables on one metadata: what Alembic migrates and compares (``migrations/env.py``).
Each room declares its own tables (``connector/*/models.py``); this module only gathers them."""

from __future__ import annotations

from connector.connections import models as connections_models
from connector.notify import models as notify_models
from connector.outcomes import models as outcomes_models
from connector.pipeline import models as pipeline_models
from connector.platform.models import Base
from connector.routing import models as routing_models
from connector.web import models as web_models

ROOMS = (connections_models, routing_models, pipeline_models, notify_models, outcomes_models, web_models)
metadata = Base.metadata

__all__ = ["Base", "ROOMS", "metadata"]
