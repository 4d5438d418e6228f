"""The routing room: the routing config (stored versions, the active config, editing), the roster,
the routing state the engine reads, `simulate` and the starter config (see docs/ARCHITECTURE.md)."""
