"""HubSpot CRM v3 for the sandbox: contacts, companies, leads, owners, search, limits, webhooks."""
from sandbox.hubspot.vendor import HubSpotVendor

__all__ = ["HubSpotVendor"]
