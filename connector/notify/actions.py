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
import logging
import re
from datetime import datetime
from typing import Annotated, Any, Callable
from urllib.parse import parse_qs

from flask import Blueprint, abort, current_app, jsonify, render_template_string, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.platform.db import get_db
from connector.pipeline.models import Assignment
from connector.notify.models import Notification
from connector.notify import blocks, feedback, lifecycle, pause
from connector.outcomes.models import FeedbackReason
from connector.notify.runtime import get_runtime
from connector.notify.base import Kind, NotifyError, NotifyEvent
from connector.platform.request_limits import DoorError, read_body

log = logging.getLogger(__name__)
bp = Blueprint("notify_actions", __name__)
bp.login_exempt = True  # type: ignore[attr-defined] — read by the settings page's login/CSRF guard


@bp.errorhandler(DoorError)
def _door_error(exc: DoorError):
    return jsonify(error=exc.message), exc.status

MAX_SKEW_S = 5 * 60
ACCEPT_LINK_MAX_AGE_S = 7 * 24 * 3600


_TIMESTAMP = re.compile(r"[0-9]{1,12}")          # unix seconds: digits, bounded before int()
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_ASSIGNMENT_ID = re.compile(r"[1-9][0-9]{0,17}")  # ASCII digits only ("²".isdigit() is True)
FORM = "application/x-www-form-urlencoded"


def verify_signature(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime) -> bool:
    """Slack's v0 signature; header values are checked (ASCII, documented form, bounded) first
    and compared as bytes, so no header makes this raise."""
    if not timestamp or not signature or not timestamp.isascii() or not signature.isascii():
        return False
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    stamp = int(timestamp)
    if abs(now.timestamp() - stamp) > MAX_SKEW_S:
        return False
    expected = b"v0=" + hmac.new(secret.encode(), b"v0:%d:" % stamp + body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, signature.encode("ascii"))


# -- the interactivity payload, as Slack documents it (block_actions) -----------------------------
Short = Annotated[StrictStr, Field(max_length=255)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")  # Slack sends many more fields; these are the ones read


class SlackUser(_Open):
    id: Short | None = None


class SlackContainer(_Open):
    channel_id: Short | None = None
    message_ts: Short | None = None


class SlackAction(_Open):
    action_id: Short
    value: Annotated[StrictStr, Field(max_length=2000)] | None = None  # a button's value: <= 2000 chars


class SlackPayload(_Open):
    type: Short
    user: SlackUser | None = None
    container: SlackContainer | None = None
    actions: Annotated[list[SlackAction], Field(max_length=25)] = []


def _payload(body: bytes) -> SlackPayload:
    """The form's one ``payload`` field, validated (depth-bounded JSON parse); else DoorError 400."""
    try:
        form = parse_qs(body.decode("ascii"), strict_parsing=True, max_num_fields=20) if body else {}
    except (UnicodeDecodeError, ValueError):
        raise DoorError(400, "body is not a URL-encoded form") from None
    values = form.get("payload") or []
    if len(values) != 1:
        raise DoorError(400, "the form needs exactly one payload field")
    try:
        return SlackPayload.model_validate_json(values[0])
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}"
                          for e in exc.errors(include_url=False, include_input=False)[:3])
        raise DoorError(400, f"not a Slack interactivity payload: {where}") from None


def assignment_id(value: str | None) -> int | None:
    return int(value) if value is not None and _ASSIGNMENT_ID.fullmatch(value) else None


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


def _lead_action(name: str, reason: FeedbackReason | None = None) -> Callable[[Session, dict, dict, datetime],
                                                                              Replacement | None]:
    def handle(session: Session, action: dict, payload: dict, now: datetime) -> Replacement | None:
        number = assignment_id(action.get("value"))
        assignment = session.get(Assignment, number) if number is not None else None
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
        if reason is not None:
            return blocks.resolved(row.payload, feedback.not_a_fit(session, assignment, reason, now, via="slack",
                                                                   by=who, rep_name=rep))
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


ACTIONS = {blocks.ACCEPT: _lead_action("accept"), blocks.PASS: _lead_action("pass"), blocks.UNPAUSE: _unpause,
           **{action_id: _lead_action("not_a_fit", reason) for reason, action_id in blocks.NOT_A_FIT.items()}}


@bp.post("/slack/actions")
def slack_actions():
    runtime = get_runtime()
    body = read_body()  # the raw bytes, size enforced on the stream: they are what was signed
    if not runtime.signing_secret or not verify_signature(
            runtime.signing_secret, request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"), body, runtime.clock()):
        return {"error": "invalid signature"}, 401
    if request.mimetype != FORM:
        return {"error": f"content type must be {FORM}"}, 415
    payload = _payload(body)
    if payload.type != "block_actions":
        return "", 200  # other interactions are not ours: acknowledged, nothing done
    if not payload.actions:
        return {"error": "a block_actions payload needs an action"}, 400
    action = payload.actions[0]
    handler = ACTIONS.get(action.action_id)
    if handler is None:
        return "", 200
    data = payload.model_dump()
    with get_db().session() as session:
        outcome = handler(session, action.model_dump(), data, runtime.clock())
    if outcome is not None and runtime.notifiers.get("slack") is not None:
        container = data.get("container") or {}
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


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Accept lead</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{{ url_for('web.static', filename='notify.css') }}"></head>
<body class="notify-page"><main>
<p>{{ message }}</p>
{% if form %}<form method="post"><button type="submit">Accept this lead</button></form>{% endif %}
{% if reasons %}<form method="post"><label>Not a fit? <select name="not_a_fit">
  {% for r in reasons %}<option value="{{ r.value }}">{{ r.label }}</option>{% endfor %}</select></label>
  <button type="submit">Not a fit</button></form>{% endif %}
</main></body></html>"""


@bp.route("/notify/accept/<token>", methods=["GET", "POST"])
def accept_link(token: str):
    """GET shows the buttons, POST accepts (or, with ``not_a_fit=<reason>``, records that the lead is
    not a fit): mail scanners follow links, they do not submit forms.
    The transaction is committed before the page is rendered: rendering may load the signed-in
    user (Flask-Login's template context), which must not wait on our own write lock."""
    try:
        assignment_id, rep_id = _serializer().loads(token, max_age=ACCEPT_LINK_MAX_AGE_S)
    except BadSignature:
        abort(404)
    now = get_runtime().clock()
    unfit = request.form.get("not_a_fit") if request.method == "POST" else None
    reasons = list(FeedbackReason)
    with get_db().session() as session:
        assignment = session.get(Assignment, assignment_id) if isinstance(assignment_id, int) else None
        if assignment is None or assignment.rep_id != rep_id or not lifecycle.is_current(session, assignment):
            message, form, status, reasons = "This lead is no longer yours to accept.", False, 410, []
        elif unfit is not None:
            reason = feedback.reason_of(unfit)
            message, form, status = (feedback.not_a_fit(session, assignment, reason, now, via="email", by=rep_id),
                                     False, 200) if reason else ("Pick one of the reasons.", False, 400)
            reasons = [] if reason else reasons
        elif request.method == "GET":
            done = assignment.accepted_at is not None
            message = "Already accepted." if done else \
                f"Lead {assignment.lead_summary.get('name') or assignment.lead_id}"
            form, status = not done, 200
        else:
            lifecycle.accept(session, assignment, now, via="email", by=rep_id)
            message, form, status = "Accepted: the SLA clock has stopped.", False, 200
    return render_template_string(PAGE, message=message, form=form, reasons=reasons), status
