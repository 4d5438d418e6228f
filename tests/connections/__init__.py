"""The connections room (connector/connections/): its file, its commands, their checks."""
