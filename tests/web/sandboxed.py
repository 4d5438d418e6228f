"""The app on a real port, connected to the CRM sandbox's HubSpot and Salesforce with their
webhooks aimed at it: for the tests that watch the sandbox's own deliveries reach the doors."""

from __future__ import annotations

from connector.connections.registry import Connections, from_settings, set_connections
from tests.pipeline.conftest import sandbox_settings
from tests.support.crm import point_crm_at


def served_app(crm, crm_control, make_app, serve, **config):
    """(app, its URL), the sandbox reset and pointed at the app; adapter retries do not sleep."""
    crm_control.reset()
    crm_control.configure_deliveries(delay_factor=0.01)
    served = serve()
    app = make_app(**sandbox_settings(crm, served.url), **config)
    set_connections(app, Connections(from_settings(app.config["LEADROUTER_SETTINGS"]), sleep=lambda _s: None))
    served.app = app
    point_crm_at(crm_control, served.url)
    return app, served.url
