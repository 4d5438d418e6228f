"""The command line (app.py): one group, its commands, what each says when the database is not ready."""
