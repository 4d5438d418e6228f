"""Slack in the sandbox, driven by the real slack_sdk clients over TLS."""
from __future__ import annotations

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from sandbox.slack import sign

MAYA = "maya.patel@demo.leadrouter.dev"


@pytest.fixture
def tls(running):
    return ssl.create_default_context(cafile=str(running.ca_path))


@pytest.fixture
def slack(running, sandbox, tls):
    return WebClient(token="xoxb-sandbox", base_url=running.url + "/api/", ssl=tls)


@pytest.fixture
def control(running, sandbox):
    session = requests.Session()
    session.verify, session.trust_env = str(running.ca_path), False
    session.base = running.url + "/__sandbox__/slack"
    return session


BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "New lead *Zoë Novak*"}},
          {"type": "actions", "block_id": "lead-1001",
           "elements": [{"type": "button", "action_id": "accept_lead",
                         "text": {"type": "plain_text", "text": "Accept"}, "value": "1001"}]}]


def test_post_message_answers_slacks_shape_and_is_kept(slack, control):
    answer = slack.chat_postMessage(channel="C0LEADS01", text="New lead: Zoë Novak", blocks=BLOCKS)
    assert answer.status_code == 200
    assert answer["ok"] is True and answer["channel"] == "C0LEADS01"
    assert answer["message"]["text"] == "New lead: Zoë Novak"
    assert answer["message"]["bot_id"] and answer["message"]["ts"] == answer["ts"]
    stored = control.get(control.base + "/messages").json()["messages"]
    assert [(m["channel"], m["ts"], m["message"]["blocks"]) for m in stored] == [
        ("C0LEADS01", answer["ts"], BLOCKS)]


def test_a_wrong_token_is_invalid_auth_with_http_200(running, sandbox, tls):
    client = WebClient(token="xoxb-wrong", base_url=running.url + "/api/", ssl=tls)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C0LEADS01", text="hi")
    assert caught.value.response.status_code == 200
    assert caught.value.response.data == {"ok": False, "error": "invalid_auth"}


def test_no_token_is_not_authed(running, sandbox):
    answer = requests.post(running.url + "/api/auth.test", verify=str(running.ca_path))
    assert answer.status_code == 200 and answer.json() == {"ok": False, "error": "not_authed"}


@pytest.mark.parametrize("kwargs, error", [
    ({"channel": "C0NOPE", "text": "hi"}, "channel_not_found"),
    ({"channel": "C0LEADS01"}, "no_text"),
])
def test_post_message_errors_are_slacks(slack, kwargs, error):
    with pytest.raises(SlackApiError) as caught:
        slack.chat_postMessage(**kwargs)
    assert caught.value.response["error"] == error


def test_a_rate_limited_post_succeeds_with_the_rate_limit_retry_handler(running, sandbox, tls):
    sandbox.faults.add_burst(count=1, retry_after=1, vendor="slack", path="/api/chat.postMessage")
    plain = WebClient(token="xoxb-sandbox", base_url=running.url + "/api/", ssl=tls)
    with pytest.raises(SlackApiError) as caught:
        plain.chat_postMessage(channel="C0LEADS01", text="first")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "1"
    assert caught.value.response["error"] == "ratelimited"
    sandbox.faults.add_burst(count=1, retry_after=1, vendor="slack", path="/api/chat.postMessage")
    patient = WebClient(token="xoxb-sandbox", base_url=running.url + "/api/", ssl=tls,
                        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert patient.chat_postMessage(channel="C0LEADS01", text="second")["ok"] is True


def test_lookup_by_email_then_open_a_dm_and_post_to_it(slack):
    user = slack.users_lookupByEmail(email=MAYA)["user"]
    assert user["id"].startswith("U") and user["profile"]["email"] == MAYA
    assert user["real_name"] == "Maya Patel" and user["tz"] == "America/Los_Angeles"
    channel = slack.conversations_open(users=user["id"])["channel"]["id"]
    assert channel.startswith("D")
    assert slack.chat_postMessage(channel=channel, text="You have a new lead")["channel"] == channel
    with pytest.raises(SlackApiError) as caught:
        slack.users_lookupByEmail(email="nobody@demo.leadrouter.dev")
    assert caught.value.response["error"] == "users_not_found"


def test_chat_update_replaces_the_text_of_a_posted_message(slack, control):
    posted = slack.chat_postMessage(channel="C0LEADS01", text="Lead waiting", blocks=BLOCKS)
    updated = slack.chat_update(channel="C0LEADS01", ts=posted["ts"], text="Accepted by Maya",
                                blocks=[])
    assert updated["ok"] and updated["ts"] == posted["ts"] and updated["text"] == "Accepted by Maya"
    [stored] = control.get(control.base + "/messages").json()["messages"]
    assert stored["message"]["text"] == "Accepted by Maya" and len(stored["history"]) == 1
    with pytest.raises(SlackApiError) as caught:
        slack.chat_update(channel="C0LEADS01", ts="1.000001", text="x")
    assert caught.value.response["error"] == "message_not_found"


def test_the_incoming_webhook_answers_ok_like_slack(running, sandbox, control, tls):
    url = sandbox.vendor("slack").webhook_url
    assert "/slack-hooks/services/T0SANDBOX/" in url
    answer = WebhookClient(url, ssl=tls).send(text="Daily routing summary")
    assert (answer.status_code, answer.body) == (200, "ok")
    wrong = WebhookClient(url[:-4] + "XXXX", ssl=tls).send(text="x")
    assert (wrong.status_code, wrong.body) == (403, "invalid_token")
    messages = control.get(control.base + "/messages").json()["messages"]
    assert [m["message"]["text"] for m in messages] == ["Daily routing summary"]


class AppEndpoint:
    """The leadrouter app's interactivity URL: records the form posts it receives."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                app.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/interactivity"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()


def test_a_click_posts_a_signed_block_actions_payload(slack, control):
    app = AppEndpoint()
    try:
        control.post(control.base + "/interactivity", json={"url": app.url})
        posted = slack.chat_postMessage(channel="C0LEADS01", text="New lead", blocks=BLOCKS)
        result = control.post(control.base + "/click", json={
            "message_ts": posted["ts"], "action_id": "accept_lead", "user": "maya"}).json()
        assert result["status"] == 200
        [request] = app.received
        headers = request["headers"]
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        verifier = SignatureVerifier("sandbox-signing-secret")
        assert verifier.is_valid(request["body"], headers["X-Slack-Request-Timestamp"],
                                 headers["X-Slack-Signature"])
        assert headers["X-Slack-Signature"] == sign("sandbox-signing-secret",
                                                    headers["X-Slack-Request-Timestamp"],
                                                    request["body"])
        payload = json.loads(parse_qs(request["body"])["payload"][0])
        assert payload["type"] == "block_actions"
        assert payload["user"]["id"] == slack.users_lookupByEmail(email=MAYA)["user"]["id"]
        assert payload["container"] == {"type": "message", "message_ts": posted["ts"],
                                        "channel_id": "C0LEADS01", "is_ephemeral": False}
        action = payload["actions"][0]
        assert (action["action_id"], action["block_id"], action["value"]) == (
            "accept_lead", "lead-1001", "1001")
        reply = requests.post(payload["response_url"], json={"replace_original": True,
                                                             "text": "Accepted"},
                              verify=control.verify)
        assert (reply.status_code, reply.text) == (200, "ok")
        [stored] = control.get(control.base + "/messages").json()["messages"]
        assert stored["message"]["text"] == "Accepted"
        assert abs(int(headers["X-Slack-Request-Timestamp"]) - time.time()) < 60
    finally:
        app.server.shutdown()
