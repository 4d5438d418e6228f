"""The routing room (connector/routing/): the state store, the simulate command."""
