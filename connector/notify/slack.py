"""Slack: Block Kit messages through slack_sdk's WebClient, DMs via users.lookupByEmail +
conversations.open (or the rep's configured Slack id), updates in place with chat.update.

Every Web API call goes through ``_call``, the one place Slack errors become ``NotifyError``s.
Slack answers HTTP 200 with ``ok: false`` for most failures (slack_sdk raises SlackApiError);
which of those are worth retrying is the table below. A 429 carries Retry-After: a short wait is
slept through inside the call (RateLimitErrorRetryHandler), a long one is handed to the outbox
so the worker is not blocked (docs.slack.dev/apis/web-api/rate-limits).
"""

from __future__ import annotations

import ssl
import threading
from typing import Any, Callable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from connector.notify.base import Message, Notifier, NotifyError
from connector.notify.blocks import BUILDERS, esc

# `ok: false` errors that clear up by themselves; everything else (channel_not_found,
# users_not_found, invalid_auth, is_archived, …) needs a person.
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout", "team_added_to_org"})


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Sleep through a 429 only when Slack asks for at most ``max_wait`` seconds."""

    def __init__(self, max_retry_count: int = 1, max_wait: float = 3.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # noqa: ANN001
        return super()._can_retry(state=state, request=request, response=response, error=error) and \
            _retry_after(response.headers) <= self.max_wait


def _retry_after(headers: Any) -> float:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, (list, tuple)) else value
            try:
                return float(value)
            except (TypeError, ValueError):
                return 1.0
    return 1.0


class SlackNotifier(Notifier):
    channel = "slack"

    def __init__(self, token: str, *, base_url: str = "https://slack.com/api/", ca_bundle: str | None = None,
                 timeout: int = 10, max_rate_limit_wait: float = 3.0) -> None:
        context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else None
        self.client = WebClient(token=token, base_url=base_url, ssl=context, timeout=timeout, retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1), ShortRateLimitRetry(1, max_rate_limit_wait)])
        self._dms: dict[str, tuple[str, str]] = {}  # email / user id -> (DM channel, user id)
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, **options: Any) -> "SlackNotifier | None":
        if not settings.slack_bot_token:
            return None
        return cls(settings.slack_bot_token.get_secret_value(), base_url=settings.slack_base_url, **options)

    # -- the interface -------------------------------------------------------------------------
    def send(self, message: Message) -> dict[str, Any]:
        build = BUILDERS.get(message.kind)
        if build is None:
            raise NotifyError(f"no Slack message for kind {message.kind!r}", permanent=True)
        text, blocks = build(message.payload)
        earlier = message.payload.get("update_of")
        if earlier:  # replace a message we sent before (its buttons no longer apply)
            self.update(earlier["channel"], earlier["ts"], text, blocks)
            return {"channel": earlier["channel"], "ts": earlier["ts"], "updated": True}
        channel, user = self.resolve(message.target)
        answer = self._call(self.client.chat_postMessage, channel=channel, text=esc(text), blocks=blocks,
                            unfurl_links=False)
        return {"channel": answer["channel"], "ts": answer["ts"], **({"user": user} if user else {})}

    def update(self, channel: str, ts: str, text: str, blocks: list[dict]) -> None:
        # `text` is the notification / fallback text, parsed as mrkdwn like the blocks: escaped.
        self._call(self.client.chat_update, channel=channel, ts=ts, text=esc(text), blocks=blocks)

    # -- helpers -------------------------------------------------------------------------------
    def resolve(self, target: str) -> tuple[str, str | None]:
        """A channel to post to, and the user when it is a DM: an email is looked up, a user id
        gets its DM opened (conversations.open), a channel (#name, C…) is used as it is."""
        if "@" not in target and not target.startswith(("U", "W")):
            return target, None
        with self._lock:
            known = self._dms.get(target)
        if known:
            return known
        user = self.user_id(target) if "@" in target else target
        dm = self._call(self.client.conversations_open, users=user)["channel"]["id"]
        with self._lock:
            self._dms[target] = (dm, user)
        return dm, user

    def user_id(self, email: str) -> str:
        """The Slack user id of the person with this email (users.lookupByEmail)."""
        return self._call(self.client.users_lookupByEmail, email=email)["user"]["id"]

    def _call(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        name = method.__name__.replace("_", ".", 1)  # chat_postMessage -> chat.postMessage
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if status == 429:
                raise NotifyError(f"Slack rate limit on {name}",
                                  retry_after=_retry_after(exc.response.headers)) from None
            transient = status >= 500 or error in TRANSIENT_ERRORS
            raise NotifyError(f"Slack {name}: {error or f'HTTP {status}'}",
                              permanent=not transient) from None
        except (SlackClientError, URLError, OSError) as exc:  # connection refused, reset, TLS, timeout
            raise NotifyError(f"Slack unreachable: {type(exc).__name__}: {exc}") from None
