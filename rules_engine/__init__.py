"""leadrouter's pure rules engine: lead + config + state + time in, Decision out.

No I/O and no clock reads: every input is an argument. See docs/routing-config.md.
"""
from .choices import Assign, OnEmpty, Skip
from .config import RoutingConfig, dump_config, load_config
from .decide import decide
from .decision import Decision, Status
from .errors import ConfigError, ConfigIssue
from .geo import normalize_country, normalize_state
from .lead import Lead
from .replay import priority_key, simulate
from .state import InMemoryState, RepDelta, RepState, RoutingState, StateChanges
from .vocabulary import describe_vocabulary


def crm_owner_id(config: RoutingConfig, rep_id: str, crm: str) -> str | None:
    """The owner id to write in ``crm`` ('salesforce' / 'hubspot') for a rep."""
    return config.crm_owner_id(rep_id, crm)


__all__ = [
    "Assign", "ConfigError", "ConfigIssue", "Decision", "InMemoryState", "Lead", "OnEmpty", "RepDelta", "RepState",
    "RoutingConfig", "RoutingState", "Skip", "StateChanges", "Status", "crm_owner_id", "decide",
    "describe_vocabulary", "dump_config", "load_config", "normalize_country", "normalize_state",
    "priority_key", "simulate",
]
