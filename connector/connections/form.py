"""The connection form, generated from the connection models (``adapters.specs``): every option
a file or the environment can set is an input here too, with the model's help text."""

from __future__ import annotations

import enum
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticUndefined

from adapters.specs import MODELS, CrmKind


@dataclass(frozen=True)
class FormField:
    """One input of the connection form, generated from the connection model's field: every
    option a file or the environment can set is settable here too."""
    name: str
    label: str
    help: str
    widget: str                  # text | number | checkbox | select | lines | mapping | password
    default: str = ""            # as the input shows it
    choices: tuple[str, ...] = ()
    required: bool = False

    @property
    def secret(self) -> bool:
        return self.widget == "password"


# The form's own inputs for these: the name and the kind are asked first, enabled and the poll
# interval at the end; the rest follows the model's order.
_FIRST, _LAST = ("name",), ("poll_interval_seconds", "enabled")


_LABELS = {"url": "Login or My Domain URL", "base_url": "API base URL", "ca_bundle": "CA bundle file",
           "client_id": "Connected app consumer key", "client_secret": "Connected app consumer secret",
           "jwt_key_file": "JWT private key file", "org_id": "Org id (00D…)", "portal_id": "Account (portal) id",
           "api_version": "API version", "token": "Private app access token", "app_secret": "App client secret",
           "fields": "Field mapping", "extra_fields": "Extra (custom) fields",
           "poll_interval_seconds": "Poll interval (s)"}


def _model(kind: str):

    return MODELS[CrmKind(kind)]


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {v if v is not None else ''}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else ""
    return str(getattr(value, "value", value))


def _widget(name: str, info: Any) -> tuple[str, tuple[str, ...]]:
    if (info.json_schema_extra or {}).get("secret"):
        return "password", ()

    annotation = info.annotation
    if name == "backfill":  # now | all | a date
        return "text", ()
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # X | None: the X
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    first = annotation
    if first is bool:
        return "checkbox", ()
    if first in (int, float):
        return "number", ()
    if typing.get_origin(first) is typing.Literal:
        return "select", tuple(str(getattr(v, "value", v)) for v in typing.get_args(first))
    if isinstance(first, type) and issubclass(first, enum.Enum):
        return "select", tuple(str(m.value) for m in first)
    if typing.get_origin(first) is dict:
        return "mapping", ()
    if typing.get_origin(first) is list:
        return "lines", ()
    return "text", ()


def form_fields(kind: str) -> list[FormField]:
    """The connection form for one CRM kind, from its model (help texts included)."""
    model = _model(kind)
    names = [n for n in model.model_fields if n != "kind"]
    order = [*_FIRST, *[n for n in names if n not in _FIRST + _LAST], *_LAST]
    fields = []
    for name in order:
        info = model.model_fields[name]
        widget, choices = _widget(name, info)
        default = info.default_factory() if info.default_factory is not None else info.default
        required = default is PydanticUndefined
        if widget == "select" and not required and default is None:
            choices = ("",) + choices
        fields.append(FormField(name, _LABELS.get(name, name.replace("_", " ").capitalize()), info.description or "",
                                widget, "" if required or widget == "password" else shown(default), choices,
                                required))
    return fields


def parse_input(field: FormField, raw: Any) -> Any:
    """A form string (or a JSON value from the API) as the model expects it; None = not given."""
    if not isinstance(raw, str):
        return raw  # the JSON API sends lists, mappings, numbers and booleans as they are
    text = raw.strip()
    if field.widget == "checkbox":
        return text not in ("", "0", "false", "off")
    if not text:
        return None
    if field.widget == "lines":
        return [line.strip() for line in re.split(r"[\n,]", text) if line.strip()]
    if field.widget == "mapping":
        mapping: dict[str, str | None] = {}
        for line in text.splitlines():
            if line.strip():
                key, sep, value = line.partition(":")
                if not sep:
                    raise ValueError(f"{line.strip()!r}: write one `canonical field: CRM field` per line")
                mapping[key.strip()] = value.strip() or None
        return mapping
    return text


MASK = "••••••••"

