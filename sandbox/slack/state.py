"""Slack's state in the sandbox: the workspace (users, channels, messages), the incoming webhook,
response URLs, and a person clicking a button in a posted message (a signed block_actions
request to the app's interactivity URL). The routes (sandbox.slack.api, .hooks, .control) take it."""
from __future__ import annotations

import json
import secrets
from typing import Any

import requests

import sandbox.slack.interactivity as interactivity
from sandbox.slack.store import Channel, User, Workspace
from sandbox.vendor import VendorState

DEFAULT_HOOK = {"id": "B0SBXHOOK1", "secret": "sandboxwebhooksecret0001"}


class SlackState(VendorState):
    """One Slack workspace: its users and channels, the messages posted, the incoming webhook,
    and the app's interactivity settings (where a click is sent) with every click made."""

    def __init__(self, sandbox) -> None:
        super().__init__(sandbox)
        self.interactivity_url: str | None = sandbox.options["slack_interactivity_url"]
        self.interactivity_verify: bool | str = True
        self.reset()

    @property
    def token(self) -> str:
        return self.sandbox.options["slack_bot_token"]

    @property
    def signing_secret(self) -> str:
        return self.sandbox.options["slack_signing_secret"]

    @property
    def webhook_url(self) -> str:
        return (f"{self.sandbox.base_url}/slack-hooks/services/{self.hook['team']}/"
                f"{self.hook['id']}/{self.hook['secret']}")

    def reset(self) -> None:
        with self.sandbox.lock:
            self.interactivity_url = self.sandbox.options["slack_interactivity_url"]
            self.workspace = Workspace()
            self.hook = {"team": self.workspace.team_id, **DEFAULT_HOOK, "channel": "C0LEADS01"}
            self.workspace.channels["C0LEADS01"] = Channel("C0LEADS01", name="leads")
            self.response_urls: dict[str, dict] = {}
            self.clicks: list[dict] = []

    def seed_demo(self, org) -> None:
        with self.sandbox.lock:
            ws = self.workspace
            ws.team_id = org.slack_team_id
            ws.channels.clear()
            ws.channels[org.slack_channel] = Channel(org.slack_channel, name="leads")
            self.hook.update(team=org.slack_team_id, channel=org.slack_channel)
            for index, rep in enumerate(org.all_reps, start=1):
                user_id = f"U0SBX{index:04d}"
                ws.users[user_id] = User(user_id, rep.email, rep.first_name, rep.last_name,
                                         rep.title, rep.timezone, deleted=not rep.active,
                                         key=rep.key)

    def create_lead(self, data: dict) -> dict:
        raise ValueError("Slack holds no leads; create them in a CRM vendor")

    def get_record(self, record_type: str, record_id: str) -> dict | None:
        with self.sandbox.lock:
            if record_type == "users":
                user = self.workspace.users.get(record_id)
                return user.to_json(self.workspace.team_id, self.sandbox.clock.now()) if user else None
            if record_type == "messages":
                stored = self.workspace.find_message(None, record_id)
                return dict(stored) if stored else None
        return None

    def describe(self) -> dict:
        return {"api_base": f"{self.sandbox.base_url}/api/", "bot_token": self.token,
                "signing_secret": self.signing_secret, "incoming_webhook": self.webhook_url,
                "team_id": self.workspace.team_id, "users": len(self.workspace.users),
                "interactivity_url": self.interactivity_url}

    # -- interactivity ---------------------------------------------------------------------
    def click(self, *, message_ts: str, action_id: str, user: str, value: str | None = None,
              channel: str | None = None) -> dict:
        """A user clicks a button in a stored message: POST the signed block_actions payload
        to the interactivity URL and report what the app answered."""
        if not self.interactivity_url:
            raise ValueError("no interactivity URL configured (POST /__sandbox__/slack/interactivity)")
        with self.sandbox.lock:
            ws = self.workspace
            stored = ws.find_message(channel, message_ts)
            if stored is None:
                raise KeyError(f"no message with ts {message_ts}")
            who = ws.user_by_ref(user)
            if who is None:
                raise KeyError(f"no Slack user {user!r}")
            now = self.sandbox.clock.now()
            action_ts = f"{now.timestamp():.6f}"
            token = secrets.token_urlsafe(18)
            self.response_urls[token] = {"channel": stored["channel"], "ts": stored["ts"]}
            response_url = (f"{self.sandbox.base_url}/slack-hooks/actions/{ws.team_id}/"
                            f"{action_ts.replace('.', '')}/{token}")
            payload = interactivity.block_actions_payload(ws, stored, who, action_id, value,
                                                          action_ts, response_url)
            body = interactivity.form_body(payload)
            headers = interactivity.signed_headers(self.signing_secret, int(now.timestamp()), body)
        session = requests.Session()
        session.trust_env = False
        try:
            answer = session.post(self.interactivity_url, data=body.encode("utf-8"),
                                  headers=headers, timeout=3, verify=self.interactivity_verify)
            result: dict[str, Any] = {"status": answer.status_code, "body": answer.text[:2000]}
        except requests.RequestException as exc:
            result = {"status": None, "error": f"{type(exc).__name__}: {exc}"}
        record = {"payload": payload, "headers": headers, **result}
        with self.sandbox.lock:
            self.clicks.append(record)
        return {**result, "payload": payload, "body_sent": body, "headers": headers,
                "payload_json": json.dumps(payload)}


__all__ = ["SlackState"]
