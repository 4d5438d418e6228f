"""What an admin does in each CRM to send its leads to the app, through the sandbox's control
plane: the HubSpot app's webhook subscription and the Salesforce outbound message's endpoint,
both aimed at the app's doors (README, "Connect your CRM")."""

from __future__ import annotations

from sandbox.client import SandboxClient


def point_crm_at(control: SandboxClient, app_url: str, batch_window_ms: int = 50) -> None:
    control.hubspot.configure_webhooks(url=f"{app_url}/webhooks/hubspot/hubspot", batch_window_ms=batch_window_ms)
    control.salesforce.set_outbound_url(f"{app_url}/webhooks/salesforce/salesforce")


def unpoint_crm(control: SandboxClient, running) -> None:
    """No more deliveries to the app (it is about to stop), and none still on its way."""
    control.hubspot.configure_webhooks(url=None)
    control.salesforce.set_outbound_url(None)
    running.sandbox.deliveries.wait_idle(5)
