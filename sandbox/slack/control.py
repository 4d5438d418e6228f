"""Control plane for Slack, mounted at /__sandbox__/slack/."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flask

import sandbox.slack.inbox as inbox
from sandbox.control import json_body, vendor_blueprint

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.slack.state import SlackState


def blueprint(state: "SlackState") -> flask.Blueprint:
    bp = vendor_blueprint("slack_control", __name__)

    @bp.get("/messages")
    def messages() -> Any:
        """Every message posted (chat.postMessage, incoming webhook, response_url), oldest first;
        `?channel=` filters."""
        channel = flask.request.args.get("channel")
        with state.sandbox.lock:
            found = [dict(m) for m in state.workspace.messages
                     if channel in (None, m["channel"])]
        return flask.jsonify({"messages": found})

    @bp.get("/users")
    def users() -> Any:
        with state.sandbox.lock:
            ws = state.workspace
            return flask.jsonify([{**u.to_json(ws.team_id, state.sandbox.clock.now()),
                                   "key": u.key} for u in ws.users.values()])

    @bp.route("/interactivity", methods=["GET", "POST"])
    def interactivity() -> Any:
        """{url, verify}: where clicks are POSTed (the app's Interactivity Request URL)."""
        if flask.request.method == "POST":
            data = json_body()
            state.interactivity_url = data.get("url")
            state.interactivity_verify = data.get("verify", True)
        return flask.jsonify({"url": state.interactivity_url,
                              "verify": state.interactivity_verify,
                              "clicks": len(state.clicks)})

    @bp.post("/click")
    def click() -> Any:
        """{message_ts, action_id, user (U id, rep key or email), value?, channel?}."""
        data = json_body()
        result = state.click(message_ts=str(data["message_ts"]), action_id=data["action_id"],
                              user=str(data["user"]), value=data.get("value"),
                              channel=data.get("channel"))
        return flask.jsonify(result)

    @bp.get("/webhook")
    def webhook() -> Any:
        return flask.jsonify({"url": state.webhook_url, "channel": state.hook["channel"]})

    inbox.register(bp, state)   # the HTML inbox: /inbox, its buttons post to /inbox/click
    return bp
