"""The platform room: settings, the database and its migrations, keys, logs, the scheduler, the
request limits of every door, and the base of the schema. It imports no other connector room
(see docs/ARCHITECTURE.md)."""
