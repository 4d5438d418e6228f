"""The Salesforce part of the sandbox: REST API (query, sObject rows, sObject Collections,
limits), OAuth and SOAP login, orgs with hosts of their own, the lead assignment rule, outbound
messages, and its control routes (state.py: the orgs; vendor.py: the HTTP surface)."""
from sandbox.salesforce.vendor import SalesforceVendor
from sandbox.salesforce.versions import API_VERSIONS, DEFAULT_VERSION

__all__ = ["SalesforceVendor", "DEFAULT_VERSION", "API_VERSIONS"]
