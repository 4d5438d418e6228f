"""Signed requests Slack sends to an app: the v0 signature and block_actions payloads.

Slack signs every request to an app's Request URL: `X-Slack-Request-Timestamp` (seconds) and
`X-Slack-Signature: v0=` + hex HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}").
Interactivity arrives as `application/x-www-form-urlencoded` with one field, `payload`, holding
the JSON (docs.slack.dev: verifying requests; block_actions payload reference).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from urllib.parse import urlencode

from sandbox.slack.store import APP_ID, TEAM_DOMAIN, User, Workspace


def sign(secret: str, timestamp: str | int, body: str | bytes) -> str:
    raw = body.decode("utf-8") if isinstance(body, bytes) else body
    base = f"v0:{timestamp}:{raw}".encode("utf-8")
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, timestamp: str | int, body: str | bytes,
                   content_type: str = "application/x-www-form-urlencoded") -> dict:
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": sign(secret, timestamp, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}


def form_body(payload: dict) -> str:
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def _find_action(blocks: list, action_id: str) -> tuple[str | None, dict | None]:
    for block in blocks or []:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block
                                                     else []):
            if element.get("action_id") == action_id:
                return block.get("block_id"), element
    return None, None


def block_actions_payload(ws: Workspace, stored: dict, user: User, action_id: str,
                          value: str | None, action_ts: str, response_url: str) -> dict:
    message = stored["message"]
    block_id, element = _find_action(message.get("blocks", []), action_id)
    if element is None:
        raise KeyError(f"message {stored['ts']} has no element with action_id {action_id!r}")
    action = {"action_id": action_id, "block_id": block_id or "",
              "type": element.get("type", "button"), "action_ts": action_ts}
    if "text" in element:
        action["text"] = element["text"]
    if value is not None or "value" in element:
        action["value"] = value if value is not None else element["value"]
    channel = ws.channels.get(stored["channel"])
    handle = user.email.split("@")[0]
    return {
        "type": "block_actions",
        "user": {"id": user.id, "username": handle, "name": handle, "team_id": ws.team_id},
        "api_app_id": APP_ID,
        "token": "sandboxverificationtoken",  # deprecated verification token, still sent
        "container": {"type": "message", "message_ts": stored["ts"],
                      "channel_id": stored["channel"], "is_ephemeral": False},
        "trigger_id": f"{action_ts.replace('.', '')}.{secrets.token_hex(8)}",
        "team": {"id": ws.team_id, "domain": TEAM_DOMAIN},
        "enterprise": None, "is_enterprise_install": False,
        "channel": {"id": stored["channel"],
                    "name": (channel.name if channel and channel.name else "directmessage")},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
