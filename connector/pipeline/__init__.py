"""The pipeline room: the inbox, batches (decide, then write back), the jobs that feed and drain
it (pollers, roster sync, load reconciliation, outcome sync), backfill and the leads log (see
docs/ARCHITECTURE.md)."""
