"""The base of every config model: unknown keys refused, frozen, enum fields as plain values."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    # Enum fields hold their plain values: the model dumps to YAML/JSON unchanged.
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


def listify(v):
    """A single value where a list is expected becomes a one-item list."""
    return [v] if isinstance(v, (str, int)) else v
