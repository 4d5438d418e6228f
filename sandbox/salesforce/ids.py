"""Salesforce record ids: 15-char case-sensitive ids and their 18-char case-safe form.

The 3-char suffix encodes, for each 5-char chunk, which characters are upper case (a 5-bit
number indexing "A".."Z","0".."5"), so ids that differ only in case stay distinct when
compared case-insensitively. Key prefixes name the object: 00Q Lead, 003 Contact, 005 User, 00G
Group (queues), 011 GroupMember, 001 Account, 00T Task, 00U Event, 00D Organization, 01g query locator.
"""
from __future__ import annotations

import itertools
import re
import threading

_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$")

PREFIXES = {"Lead": "00Q", "Contact": "003", "User": "005", "Group": "00G", "GroupMember": "011",
            "Account": "001", "Task": "00T", "Event": "00U", "Organization": "00D", "QueryLocator": "01g",
            "WorkflowOutboundMessage": "04k", "OutboundMessageNotification": "04l"}


def checksum(id15: str) -> str:
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _SUFFIX_CHARS[bits]
    return suffix


def to18(record_id: str) -> str:
    if len(record_id) == 18:
        return record_id
    return record_id + checksum(record_id)


def is_valid(record_id: object) -> bool:
    """Well formed: 15 chars, or 18 whose suffix is the right checksum."""
    if not isinstance(record_id, str) or not _ID_RE.match(record_id):
        return False
    return len(record_id) == 15 or checksum(record_id[:15]) == record_id[15:]


def normalize(record_id: str) -> str | None:
    """The 18-char form of a well-formed id, else None."""
    return to18(record_id) if is_valid(record_id) else None


def prefix_of(record_id: str) -> str:
    return record_id[:3]


class IdFactory:
    """Issues ids per prefix from a counter; the pod part ("5g") looks like a real instance.
    Each org has its own pod, so ids stay unique across orgs as Salesforce's are."""

    def __init__(self, pod: str = "5g") -> None:
        if len(pod) != 2 or not pod.isalnum():
            raise ValueError(f"a pod is two letters or digits, not {pod!r}")
        self.pod = pod
        self._lock = threading.Lock()
        self._counters: dict[str, itertools.count] = {}

    def new(self, prefix: str) -> str:
        with self._lock:
            n = next(self._counters.setdefault(prefix, itertools.count(1)))
        body = ""
        while n:
            n, rem = divmod(n, 62)
            body = _BASE62[rem] + body
        id15 = f"{prefix}{self.pod}0000{body.rjust(6, '0')}"
        return id15 + checksum(id15)

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()
