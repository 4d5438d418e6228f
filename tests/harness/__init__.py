"""The test harness itself (tests/support/): PostgreSQL on a fresh machine, the skip summary."""
