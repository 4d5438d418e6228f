"""Slack for the sandbox: Web API subset, incoming webhook, signed interactivity requests."""
from sandbox.slack.interactivity import sign, signed_headers
from sandbox.slack.vendor import SlackVendor

__all__ = ["SlackVendor", "sign", "signed_headers"]
