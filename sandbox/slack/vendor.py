"""The Slack vendor: the Web API subset (``/api/``), incoming webhooks and response URLs
(``/slack-hooks/``) and its control routes, built over ``SlackState``, with Slack-shaped bodies
for faults (429 + Retry-After, ``fatal_error``) and unknown methods."""
from __future__ import annotations

import flask

import sandbox.slack.api as api
import sandbox.slack.control as control
import sandbox.slack.hooks as hooks
from sandbox.slack.state import SlackState
from sandbox.vendor import Vendor, state_part


class SlackVendor(Vendor):
    name = "slack"
    prefixes = ("/api/", "/slack-hooks/")
    state_class = SlackState
    state: SlackState

    def blueprint(self) -> flask.Blueprint:
        bp = flask.Blueprint("slack", __name__)
        api.register(bp, self.state)
        hooks.register(bp, self.state)
        return bp

    def control_blueprint(self) -> flask.Blueprint:
        return control.blueprint(self.state)

    def fault_response(self, status: int, *, retry_after: float | None = None) -> flask.Response:
        hook = flask.request.path.startswith("/slack-hooks/")
        if status == 429:
            # Web API: HTTP 429, Retry-After in whole seconds, {"ok": false, "error": "ratelimited"}.
            resp = (hooks.text("rate_limited", 429) if hook
                    else api.slack_json({"ok": False, "error": "ratelimited"}, 429))
            resp.headers["Retry-After"] = str(max(1, int(round(retry_after or 1))))
            return resp
        if hook:
            return hooks.text("internal_error", status)
        return api.slack_json({"ok": False, "error": "fatal_error"}, status)

    def http_error(self, status: int) -> flask.Response | None:
        if flask.request.path.startswith("/api/"):
            return api.slack_json({"ok": False, "error": "unknown_method"}, 404)
        return hooks.text("no_service", 404)

    # The workspace's parts that tests and the demo use.
    workspace = state_part("workspace")
    webhook_url = state_part("webhook_url")
    interactivity_url = state_part("interactivity_url", settable=True)


__all__ = ["SlackVendor"]
