"""Incoming webhooks and response_url posts, under /slack-hooks/ (Salesforce owns /services/).

Slack's incoming webhook answers `200 ok` (text/html); failures are plain-text codes with a
status: 400 invalid_payload / no_text, 403 invalid_token, 404 no_service, 410
channel_is_archived (docs.slack.dev: incoming webhooks, handling errors).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

import flask

from sandbox.slack.store import BOT_ID

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.slack.state import SlackState


def text(body: str, status: int) -> flask.Response:
    return flask.Response(body, status=status, content_type="text/html")


def _payload() -> dict | None:
    raw = flask.request.get_data(as_text=True)
    if flask.request.form.get("payload"):
        raw = flask.request.form["payload"]
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def register(bp: flask.Blueprint, state: "SlackState") -> None:
    @bp.post("/slack-hooks/services/<team>/<hook_id>/<secret>")
    def incoming_webhook(team: str, hook_id: str, secret: str) -> flask.Response:
        hook = state.hook
        if (team, hook_id) != (hook["team"], hook["id"]):
            return text("no_service", 404)
        if secret != hook["secret"]:
            return text("invalid_token", 403)
        data = _payload()
        if data is None:
            return text("invalid_payload", 400)
        if not data.get("text") and not data.get("blocks") and not data.get("attachments"):
            return text("no_text", 400)
        with state.sandbox.lock:
            ws = state.workspace
            channel = ws.channels[hook["channel"]]
            if channel.is_archived:
                return text("channel_is_archived", 410)
            ts = ws.next_ts(state.sandbox.clock.now())
            message = {"type": "message", "subtype": "bot_message", "ts": ts, "bot_id": BOT_ID,
                       "text": data.get("text", "")}
            for key in ("blocks", "attachments", "thread_ts"):
                if data.get(key):
                    message[key] = data[key]
            ws.messages.append({"channel": channel.id, "ts": ts, "message": message,
                                "history": [], "source": "incoming-webhook"})
        return text("ok", 200)

    @bp.post("/slack-hooks/actions/<team>/<action_ts>/<token>")
    def response_url(team: str, action_ts: str, token: str) -> flask.Response:
        """The response_url of an interaction: replace the original message or add one."""
        target = state.response_urls.get(token)
        data = _payload()
        if target is None:
            return text("no_service", 404)
        if data is None:
            return text("invalid_payload", 400)
        with state.sandbox.lock:
            ws = state.workspace
            stored = ws.find_message(target["channel"], target["ts"])
            if data.get("delete_original") and stored is not None:
                ws.messages.remove(stored)
            elif data.get("replace_original") and stored is not None:
                stored["history"].append(dict(stored["message"]))
                stored["message"] = {**stored["message"], "text": data.get("text", ""),
                                     "blocks": data.get("blocks", [])}
            else:
                ts = ws.next_ts(state.sandbox.clock.now())
                ws.messages.append({"channel": target["channel"], "ts": ts, "history": [],
                                    "source": "response_url",
                                    "message": {"type": "message", "ts": ts, "bot_id": BOT_ID,
                                                "text": data.get("text", ""),
                                                "blocks": data.get("blocks", [])}})
        return text("ok", 200)
