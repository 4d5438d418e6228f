"""The CRM sandbox: a local server speaking the Salesforce REST, HubSpot CRM v3 and Slack Web
API subsets leadrouter uses, with fault injection, request counting and webhook delivery.

    from sandbox.server import start
    running = start(tls=True, seed="demo")   # running.url, running.ca_path, running.sandbox

It imports nothing of the product (see docs ARCHITECTURE.md).
"""
from sandbox.core import Clock, Sandbox
from sandbox.vendor import Vendor, VendorState

__all__ = ["Clock", "Sandbox", "Vendor", "VendorState"]
