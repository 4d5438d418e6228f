"""``POST /slack/actions``: Slack's interactivity requests (Accept, Pass, Un-pause), and the
email's accept link. Outside the settings page's login and CSRF: Slack's signature is the
authentication here (``X-Slack-Signature`` = v0 HMAC-SHA256 of ``v0:{timestamp}:{raw body}``
with the signing secret, timestamp within 5 minutes: docs.slack.dev, verifying requests).

Who may click: Slack only shows a DM to its member, so a click on a message we sent to the rep
(matched by channel and ts on our outbox rows) is the rep's; a click on any other message does
nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime
from typing import Any, Callable

from flask import Blueprint, abort, current_app, render_template_string, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db import get_db
from connector.models import Assignment, Notification
from connector.notify import blocks, lifecycle, pause
from connector.notify.base import Kind, NotifyError, NotifyEvent

log = logging.getLogger(__name__)
bp = Blueprint("notify_actions", __name__)
bp.login_exempt = True  # type: ignore[attr-defined] — read by the settings page's login/CSRF guard

MAX_SKEW_S = 5 * 60
ACCEPT_LINK_MAX_AGE_S = 7 * 24 * 3600


def verify_signature(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime) -> bool:
    try:
        stamp = int(timestamp or "")
    except ValueError:
        return False
    if abs(now.timestamp() - stamp) > MAX_SKEW_S or not signature:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:%d:" % stamp + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _runtime():
    return current_app.extensions["leadrouter.notify"]


def _clicked_row(session: Session, kinds: tuple[Kind, ...], container: dict, **match: Any) -> Notification | None:
    """Our outbox row behind the clicked message (same channel and ts), if it was sent to the rep."""
    query = select(Notification).where(Notification.kind.in_([k.value for k in kinds]))
    if "assignment_id" in match:
        query = query.where(Notification.assignment_id == match["assignment_id"])
    for row in session.scalars(query.order_by(Notification.id.desc()).limit(200)):
        delivery = (row.payload or {}).get("delivery") or {}
        if (row.payload or {}).get("actionable") and delivery.get("ts") == container.get("message_ts") \
                and delivery.get("channel") == container.get("channel_id"):
            return row
    return None


Replacement = tuple[str, list[dict]]  # the clicked message's new text and blocks


def _lead_action(name: str) -> Callable[[Session, dict, dict, datetime], Replacement | None]:
    def handle(session: Session, action: dict, payload: dict, now: datetime) -> Replacement | None:
        value = str(action.get("value") or "")
        assignment = session.get(Assignment, int(value)) if value.isdigit() else None
        container = payload.get("container") or {}
        row = assignment and _clicked_row(session, (Kind.ASSIGNED, Kind.REMINDER), container,
                                          assignment_id=assignment.id)
        if row is None:
            return None
        who = (payload.get("user") or {}).get("id")
        if row.payload["delivery"].get("user") not in (None, who):
            return None  # someone else's click on the rep's DM (Slack would not show it to them)
        rep = (row.payload.get("rep") or {}).get("name") or assignment.rep_id
        if not lifecycle.is_current(session, assignment):
            return blocks.resolved(row.payload, "This lead is no longer yours (passed or re-routed).")
        if name == "accept":
            lifecycle.accept(session, assignment, now, via="slack", by=who)
            return blocks.resolved(row.payload, f"Accepted by {rep} at {now:%Y-%m-%d %H:%M} UTC")
        lifecycle.give_back(session, assignment, now, reason=f"passed by {rep} in Slack",
                            status=NotifyEvent.PASSED, by=who)
        return blocks.resolved(row.payload, f"Passed by {rep}: routing to the next eligible rep")
    return handle


def _unpause(session: Session, action: dict, payload: dict, now: datetime) -> Replacement | None:
    row = _clicked_row(session, (Kind.PAUSED,), payload.get("container") or {})
    rep = (row.payload.get("rep") or {}) if row is not None else {}
    if row is None or rep.get("id") != action.get("value"):
        return None
    who = (payload.get("user") or {}).get("id")
    pause.unpause(session, str(rep["id"]), actor=f"slack:{who}", now=now)
    note = f"{rep.get('name') or rep['id']} was un-paused at {now:%Y-%m-%d %H:%M} UTC and gets leads again."
    return note, [{"type": "section", "text": {"type": "mrkdwn", "text": blocks.esc(note)}}]


ACTIONS = {blocks.ACCEPT: _lead_action("accept"), blocks.PASS: _lead_action("pass"), blocks.UNPAUSE: _unpause}


@bp.post("/slack/actions")
def slack_actions():
    runtime = _runtime()
    body = request.get_data(cache=True)  # the raw bytes, before the form is parsed: they are what was signed
    if not runtime.signing_secret or not verify_signature(
            runtime.signing_secret, request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"), body, runtime.clock()):
        return {"error": "invalid signature"}, 401
    try:
        payload = json.loads(request.form["payload"])
        action = payload["actions"][0]
        if not isinstance(action, dict):
            raise TypeError("an action is an object")
    except (KeyError, IndexError, TypeError, ValueError):
        return {"error": "not a block_actions payload"}, 400
    handler = ACTIONS.get(action.get("action_id"))
    if payload.get("type") != "block_actions" or handler is None:
        return "", 200
    with get_db().session() as session:
        outcome = handler(session, action, payload, runtime.clock())
    if outcome is not None and runtime.notifiers.get("slack") is not None:
        container = payload.get("container") or {}
        text, new_blocks = outcome
        try:  # in place: the rep's message now says what happened instead of offering buttons
            runtime.notifiers["slack"].update(container["channel_id"], container["message_ts"], text, new_blocks)
        except NotifyError as exc:
            log.warning("could not update the Slack message %s: %s", container.get("message_ts"), exc)
    return "", 200


# -- the email's accept link --------------------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="leadrouter.notify.accept")


def accept_token(secret_key: str, assignment_id: int, rep_id: str | None) -> str:
    return URLSafeTimedSerializer(secret_key, salt="leadrouter.notify.accept").dumps([assignment_id, rep_id])


PAGE = """<!doctype html><title>Accept lead</title><body style="font-family: sans-serif">
<p>{{ message }}</p>
{% if form %}<form method="post"><button type="submit">Accept this lead</button></form>{% endif %}</body>"""


@bp.route("/notify/accept/<token>", methods=["GET", "POST"])
def accept_link(token: str):
    """GET shows a button, POST accepts: mail scanners follow links, they do not submit forms."""
    try:
        assignment_id, rep_id = _serializer().loads(token, max_age=ACCEPT_LINK_MAX_AGE_S)
    except BadSignature:
        abort(404)
    now = _runtime().clock()
    with get_db().session() as session:
        assignment = session.get(Assignment, assignment_id)
        if assignment is None or assignment.rep_id != rep_id or not lifecycle.is_current(session, assignment):
            return render_template_string(PAGE, message="This lead is no longer yours to accept.", form=False), 410
        if request.method == "GET":
            done = assignment.accepted_at is not None
            return render_template_string(PAGE, form=not done, message="Already accepted." if done else
                                          f"Lead {assignment.lead_summary.get('name') or assignment.lead_id}")
        lifecycle.accept(session, assignment, now, via="email", by=rep_id)
    return render_template_string(PAGE, message="Accepted: the SLA clock has stopped.", form=False)
