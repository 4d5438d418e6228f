"""What this machine may lack (a PostgreSQL server, Chromium): the reason prefix of each kind of
skip, so that ``tests/conftest.py`` sums them up in one line each with the command that installs
the missing piece."""

POSTGRES_SKIP = "PostgreSQL case skipped: "
BROWSER_SKIP = "browser test skipped: "
