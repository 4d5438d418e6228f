"""The connections room: every CRM connection (file, environment, page, API), the adapters built
from them, their test, and their health (see docs/ARCHITECTURE.md)."""
