"""The Slack inbox page of the sandbox (``/__sandbox__/slack/inbox``): every channel and DM of
the workspace with its messages as Block Kit lays them out (sections, fields, context, buttons),
newest first. A button is a form: clicking it makes the sandbox send the app what Slack sends when
a person clicks, a signed ``block_actions`` request to the interactivity URL (``SlackState.click``),
and the page says what the app answered. For a demo and for people testing by hand; the tests
click through the control plane's ``/click`` too.

Text is mrkdwn as the app sent it: Slack's escapes (&amp; &lt; &gt;) are read, ``*bold*`` and
``<https://…|label>`` links are shown, and everything else is escaped for HTML.
"""
from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

import flask
from markupsafe import Markup, escape

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.slack.state import SlackState

_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BOLD = re.compile(r"\*([^*\n]+)\*")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slack inbox · leadrouter sandbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font:15px/1.45 system-ui,sans-serif; margin:0; background:#f4f4f6; color:#1d1c1d; }
header { background:#3f0e40; color:#fff; padding:.8rem 1.2rem; } header a { color:#e8d5e9; }
main { max-width:980px; margin:0 auto; padding:1rem; } h2 { font-size:1.05rem; margin:1.4rem 0 .5rem; }
.msg { background:#fff; border:1px solid #ddd; border-radius:8px; padding:.7rem 1rem; margin:.5rem 0; }
.meta { color:#616061; font-size:.8rem; } .fields { display:grid; grid-template-columns:1fr 1fr; gap:.3rem 1rem; }
.context { color:#616061; font-size:.85rem; } .actions { display:flex; gap:.5rem; flex-wrap:wrap; margin-top:.5rem; }
.actions form { display:inline; } button { font:inherit; padding:.35rem .9rem; border-radius:4px; border:1px solid #bbb;
  background:#fff; cursor:pointer; } button.primary { background:#007a5a; border-color:#007a5a; color:#fff; }
button.danger { color:#e01e5a; } .note { background:#fff8e1; border:1px solid #f1d58a; padding:.6rem 1rem; border-radius:8px; }
</style></head><body>
<header><b>Slack</b> · {{ team }} (leadrouter sandbox) — <a href="{{ url_for(request.endpoint) }}">Reload</a></header>
<main>
{% if result %}<p class="note" role="status">{{ result }}</p>{% endif %}
{% if not interactivity %}<p class="note">No interactivity URL is set: buttons have nowhere to go
 (POST /__sandbox__/slack/interactivity {"url": "…/slack/actions"}).</p>{% endif %}
{% for box in boxes %}
<section id="channel-{{ box.id }}"><h2>{{ box.title }} <span class="meta">{{ box.messages|length }} message(s)</span></h2>
{% for m in box.messages %}
<article class="msg" data-ts="{{ m.ts }}">
  <div class="meta">leadrouter app · {{ m.ts }}{% if m.edited %} · edited{% endif %}</div>
  {% for b in m.blocks %}
    {% if b.kind == 'text' %}<p>{{ b.text }}</p>
    {% elif b.kind == 'fields' %}<div class="fields">{% for f in b.fields %}<div>{{ f }}</div>{% endfor %}</div>
    {% elif b.kind == 'context' %}<p class="context">{{ b.text }}</p>
    {% elif b.kind == 'actions' %}<div class="actions">{% for button in b.buttons %}
      <form method="post" action="{{ url_for('slack_control.inbox_click') }}">
        <input type="hidden" name="channel" value="{{ box.id }}"><input type="hidden" name="message_ts" value="{{ m.ts }}">
        <input type="hidden" name="action_id" value="{{ button.action_id }}"><input type="hidden" name="user" value="{{ box.user or '' }}">
        <button class="{{ button.style }}">{{ button.text }}</button></form>{% endfor %}</div>
    {% endif %}
  {% endfor %}
</article>
{% endfor %}
</section>
{% else %}<p class="note">No message yet.</p>{% endfor %}
</main></body></html>"""


def mrkdwn(text: Any) -> Markup:
    """Slack mrkdwn as HTML: links and bold kept, everything else escaped."""
    out, last = [], 0
    raw = str(text or "")
    for match in _LINK.finditer(raw):
        out.append(_plain(raw[last:match.start()]))
        url, label = html.unescape(match.group(1)), _plain(match.group(2))
        out.append(Markup('<a href="{}">{}</a>').format(url, label) if url.startswith(("https://", "http://"))
                   else label)
        last = match.end()
    out.append(_plain(raw[last:]))
    return Markup("").join(out)


def _plain(text: str) -> Markup:
    escaped = str(escape(html.unescape(text)))
    return Markup(_BOLD.sub(r"<b>\1</b>", escaped).replace("\n", "<br>"))


def _blocks(message: dict) -> list[dict]:
    out: list[dict] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind in ("section", "header") and block.get("text"):
            out.append({"kind": "text", "text": mrkdwn(block["text"].get("text"))})
        if kind == "section" and block.get("fields"):
            out.append({"kind": "fields", "fields": [mrkdwn(f.get("text")) for f in block["fields"]]})
        if kind == "context":
            out.append({"kind": "context", "text": mrkdwn(" ".join(e.get("text", "") for e in block.get("elements", [])))})
        if kind == "actions":
            out.append({"kind": "actions", "buttons": [
                {"action_id": e.get("action_id"), "text": (e.get("text") or {}).get("text", "?"), "style": e.get("style", "")}
                for e in block.get("elements", []) if e.get("type") == "button"]})
    return out or [{"kind": "text", "text": mrkdwn(message.get("text"))}]


def _boxes(state: SlackState) -> list[dict]:
    with state.sandbox.lock:
        ws = state.workspace
        boxes: dict[str, dict] = {}
        for stored in reversed(ws.messages):
            channel = ws.channels.get(stored["channel"])
            if stored["channel"] not in boxes:
                user = ws.users.get(channel.user) if channel is not None and channel.is_im else None
                title = f"DM with {user.first_name} {user.last_name}" if user else \
                    f"#{channel.name}" if channel is not None and channel.name else stored["channel"]
                boxes[stored["channel"]] = {"id": stored["channel"], "title": title,
                                            "user": user.id if user else None, "messages": []}
            boxes[stored["channel"]]["messages"].append(
                {"ts": stored["ts"], "edited": bool(stored.get("history")), "blocks": _blocks(stored["message"])})
        return sorted(boxes.values(), key=lambda b: (b["user"] is not None, b["title"]))


def register(bp: flask.Blueprint, state: SlackState) -> None:
    @bp.get("/inbox")
    def inbox() -> Any:
        return flask.render_template_string(PAGE, boxes=_boxes(state), team=state.workspace.team_id,
                                            interactivity=state.interactivity_url,
                                            result=flask.request.args.get("result"))

    @bp.post("/inbox/click")
    def inbox_click() -> Any:
        form = flask.request.form
        user = form.get("user") or next(iter(state.workspace.users), "")
        answer = state.click(message_ts=form["message_ts"], action_id=form["action_id"], user=user,
                             channel=form.get("channel"))
        status = answer.get("status")
        result = f"Sent {form['action_id']} to the app: HTTP {status}" if status else \
            f"The app could not be reached: {answer.get('error')}"
        return flask.redirect(flask.url_for("slack_control.inbox", result=result), 303)
