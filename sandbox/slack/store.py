"""Slack workspace state: users (from the demo reps), channels, DMs and every message posted."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

TEAM_NAME = "leadrouter sandbox"
TEAM_DOMAIN = "leadrouter-sandbox"
BOT_USER_ID = "U0SBXBOT1"
BOT_ID = "B0SBXBOT1"
APP_ID = "A0SBXAPP1"


@dataclass
class User:
    id: str
    email: str
    first_name: str
    last_name: str
    title: str
    tz: str
    deleted: bool = False
    key: str | None = None

    def to_json(self, team_id: str, now: datetime) -> dict:
        # The shape users.lookupByEmail / users.info return (docs.slack.dev: user object).
        zone = ZoneInfo(self.tz)
        local = now.astimezone(zone)
        offset = int(local.utcoffset().total_seconds()) if local.utcoffset() else 0
        real_name = f"{self.first_name} {self.last_name}"
        handle = self.email.split("@")[0]
        return {
            "id": self.id, "team_id": team_id, "name": handle, "deleted": self.deleted,
            "color": "9f69e7", "real_name": real_name, "tz": self.tz,
            "tz_label": local.tzname() or self.tz, "tz_offset": offset,
            "profile": {"title": self.title, "phone": "", "skype": "", "real_name": real_name,
                        "real_name_normalized": real_name, "display_name": handle,
                        "display_name_normalized": handle, "fields": None, "status_text": "",
                        "status_emoji": "", "status_expiration": 0, "avatar_hash": "g0sandbox",
                        "email": self.email, "first_name": self.first_name,
                        "last_name": self.last_name, "team": team_id},
            "is_admin": False, "is_owner": False, "is_primary_owner": False,
            "is_restricted": False, "is_ultra_restricted": False, "is_bot": False,
            "is_app_user": False, "updated": 1673254800, "is_email_confirmed": True,
            "who_can_share_contact_card": "EVERYONE",
        }


@dataclass
class Channel:
    id: str
    name: str | None = None
    is_im: bool = False
    user: str | None = None           # the other member of an IM
    members: tuple[str, ...] = ()
    is_archived: bool = False


@dataclass
class Workspace:
    team_id: str = "T0SANDBOX"
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    messages: list[dict] = field(default_factory=list)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def user_by_email(self, email: str) -> User | None:
        return next((u for u in self.users.values() if u.email.lower() == email.lower()), None)

    def user_by_ref(self, ref: str) -> User | None:
        """A user id, a demo rep key or an email (control calls accept any)."""
        return self.users.get(ref) or next(
            (u for u in self.users.values() if ref in (u.key, u.email)), None)

    def resolve_channel(self, ref: str) -> Channel | None:
        """chat.postMessage accepts a channel id, `#name` / name, or a user id (its DM)."""
        if ref in self.channels:
            return self.channels[ref]
        if ref in self.users:
            return self.open_im(ref)
        name = ref.lstrip("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def open_im(self, user_id: str) -> Channel:
        channel_id = "D" + user_id[1:]
        if channel_id not in self.channels:
            self.channels[channel_id] = Channel(channel_id, is_im=True, user=user_id,
                                                members=(BOT_USER_ID, user_id))
        return self.channels[channel_id]

    def next_ts(self, now: datetime) -> str:
        # Unique and increasing: Slack message timestamps identify messages within a channel.
        return f"{int(now.timestamp())}.{next(self._seq):06d}"

    def find_message(self, channel: str | None, ts: str) -> dict | None:
        return next((m for m in self.messages if m["ts"] == ts
                     and (channel is None or m["channel"] == channel)), None)
