"""Slack Web API methods under /api/<method>: a table from method name to handler.

Slack answers HTTP 200 with `{"ok": false, "error": "..."}` for almost every failure (auth
included); only rate limiting changes the status (429 + Retry-After). Arguments arrive as JSON
(`Content-Type: application/json`, token in the Authorization header), form fields or query
parameters; `blocks` in a form is a JSON string.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

import flask

from sandbox.slack.store import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_NAME

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.slack.state import SlackState


class SlackError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error, self.extra = error, extra


def slack_json(body: dict, status: int = 200) -> flask.Response:
    return flask.Response(json.dumps(body), status=status,
                          content_type="application/json; charset=utf-8")


def _args() -> dict:
    args: dict[str, Any] = dict(flask.request.args)
    args.update(flask.request.form.to_dict())
    if flask.request.is_json:
        body = flask.request.get_json(silent=True)
        if isinstance(body, dict):
            args.update(body)
    return args


def _token(args: dict) -> str | None:
    scheme, _, token = flask.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return args.get("token")


def _json_arg(args: dict, name: str) -> Any:
    value = args.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(f"invalid_{name}") from None
    return value


def _bot_message(state: "SlackState", text: str, blocks, ts: str, thread_ts=None) -> dict:
    message = {"user": BOT_USER_ID, "type": "message", "ts": ts, "bot_id": BOT_ID,
               "app_id": APP_ID, "text": text, "team": state.workspace.team_id,
               "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "leadrouter",
                               "deleted": False, "team_id": state.workspace.team_id}}
    if blocks:
        message["blocks"] = blocks
    if thread_ts:
        message["thread_ts"] = thread_ts
    return message


def auth_test(state: "SlackState", args: dict) -> dict:
    return {"url": f"https://{TEAM_DOMAIN}.slack.com/", "team": TEAM_NAME, "user": "leadrouter",
            "team_id": state.workspace.team_id, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
            "is_enterprise_install": False}


def chat_post_message(state: "SlackState", args: dict) -> dict:
    ws = state.workspace
    if not args.get("channel"):
        raise SlackError("channel_not_found")
    channel = ws.resolve_channel(str(args["channel"]))
    if channel is None:
        raise SlackError("channel_not_found")
    if channel.is_archived:
        raise SlackError("is_archived")
    blocks = _json_arg(args, "blocks")
    attachments = _json_arg(args, "attachments")
    text = args.get("text") or ""
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks")
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    if len(text) > 40000:
        raise SlackError("msg_too_long")
    ts = ws.next_ts(state.sandbox.clock.now())
    message = _bot_message(state, text, blocks, ts, args.get("thread_ts"))
    if attachments:
        message["attachments"] = attachments
    ws.messages.append({"channel": channel.id, "ts": ts, "message": message,
                        "history": [], "source": "chat.postMessage"})
    return {"channel": channel.id, "ts": ts, "message": message}


def chat_update(state: "SlackState", args: dict) -> dict:
    ws = state.workspace
    channel = ws.resolve_channel(str(args.get("channel") or ""))
    if channel is None:
        raise SlackError("channel_not_found")
    stored = ws.find_message(channel.id, str(args.get("ts") or ""))
    if stored is None:
        raise SlackError("message_not_found")
    if stored["message"].get("bot_id") != BOT_ID:
        raise SlackError("cant_update_message")
    blocks = _json_arg(args, "blocks")
    text = args.get("text")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks")
    if not text and not blocks and not stored["message"].get("text"):
        raise SlackError("no_text")
    stored["history"].append(dict(stored["message"]))
    message = dict(stored["message"])
    if text is not None:
        message["text"] = text
    if blocks is not None:
        message["blocks"] = blocks
    message["edited"] = {"user": BOT_USER_ID, "ts": ws.next_ts(state.sandbox.clock.now())}
    stored["message"] = message
    return {"channel": channel.id, "ts": stored["ts"], "text": message.get("text", ""),
            "message": {k: v for k, v in message.items() if k not in ("ts", "team", "edited")}}


def users_lookup_by_email(state: "SlackState", args: dict) -> dict:
    if not args.get("email"):
        raise SlackError("invalid_arguments")
    user = state.workspace.user_by_email(str(args["email"]))
    if user is None:
        raise SlackError("users_not_found")
    return {"user": user.to_json(state.workspace.team_id, state.sandbox.clock.now())}


def conversations_open(state: "SlackState", args: dict) -> dict:
    ws = state.workspace
    if args.get("channel"):
        channel = ws.channels.get(str(args["channel"]))
        if channel is None:
            raise SlackError("channel_not_found")
    else:
        users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        for user_id in users:
            user = ws.users.get(user_id)
            if user is None:
                raise SlackError("user_not_found")
            if user.deleted:
                raise SlackError("user_disabled")
        if len(users) > 1:
            raise SlackError("not_allowed_token_type")  # multi-person DMs need a user token
        channel = ws.open_im(users[0])
    if str(args.get("return_im", "")).lower() in ("true", "1"):
        return {"no_op": True, "already_open": True,
                "channel": {"id": channel.id, "created": 1673254800, "is_im": channel.is_im,
                            "is_org_shared": False, "user": channel.user,
                            "last_read": "0000000000.000000", "latest": None,
                            "unread_count": 0, "unread_count_display": 0,
                            "is_open": True, "priority": 0}}
    return {"channel": {"id": channel.id}}


METHODS: dict[str, Callable[["SlackState", dict], dict]] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "users.lookupByEmail": users_lookup_by_email,
    "conversations.open": conversations_open,
}


def register(bp: flask.Blueprint, state: "SlackState") -> None:
    @bp.route("/api/<method>", methods=["GET", "POST"])
    def call(method: str) -> flask.Response:
        args = _args()
        handler = METHODS.get(method)
        if handler is None:
            return slack_json({"ok": False, "error": "unknown_method", "req_method": method})
        token = _token(args)
        if not token:
            return slack_json({"ok": False, "error": "not_authed"})
        if token != state.token:
            return slack_json({"ok": False, "error": "invalid_auth"})
        try:
            with state.sandbox.lock:
                return slack_json({"ok": True, **handler(state, args)})
        except SlackError as exc:
            return slack_json({"ok": False, "error": exc.error, **exc.extra})
