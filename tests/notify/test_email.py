"""Email over a real SMTP conversation (aiosmtpd on loopback): STARTTLS + AUTH and implicit TLS,
HTML and text parts with the lead, the reason, the CRM link and a link that accepts the lead;
temporary refusals retried, permanent ones failed; admins' templates win."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector.pipeline.models import Assignment
from connector.notify.models import Notification
from tests.notify.conftest import Kit, notify_app
from tests.support.smtp import Mailbox, start_smtp, tls_context

USER, PASSWORD = "leadrouter", "s3cret pass"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return tls_context(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def mail_kit(tmp_path, make_app, crm, crm_control, sandbox, certs, request):
    implicit = getattr(request, "param", "starttls") == "smtps"
    box = Mailbox()
    controller = start_smtp(box, certs[0], USER, PASSWORD, implicit=implicit)
    scheme = "smtps" if implicit else "smtp"
    templates = tmp_path / "templates"
    templates.mkdir()
    app = notify_app(make_app, crm,
                     LEADROUTER_SMTP_URL=f"{scheme}://{USER}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{controller.port}",
                     LEADROUTER_EMAIL_FROM="leadrouter@demo.leadrouter.dev", LEADROUTER_NOTIFY_TEMPLATES_DIR=str(templates),
                     LEADROUTER_SMTP_CA_BUNDLE=certs[1])
    from connector.notify import get_runtime

    runtime = get_runtime(app)
    runtime.clock = sandbox.clock.now
    kit = Kit(app, sandbox, crm_control, crm.url)
    kit.box, kit.templates = box, templates
    yield kit
    controller.stop()


@pytest.mark.parametrize("mail_kit", ["starttls", "smtps"], indirect=True)
def test_the_rep_gets_an_email_with_text_and_html_parts_over_tls_with_auth(mail_kit):
    kit = mail_kit
    kit.written("maya", rule="quiet")  # no Slack configured: the default is an email to the rep
    assert kit.deliver().sent == 1
    [mail] = kit.box.mails
    assert mail["auth"] is True
    assert mail["to"] == ["maya.patel@demo.leadrouter.dev"] and mail["from"] == "leadrouter@demo.leadrouter.dev"
    message = mail["message"]
    assert message["Subject"] == "New lead for you: Zoë Novak (Novak Robotics)"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        for expected in ("Zoë Novak", "Novak Robotics", "DE", "87", "round_robin: maya is next after sofia",
                         f"{kit.url}/00Q5g00000ZOEAAA", "/notify/accept/"):
            assert expected in part, expected


def test_the_accept_link_shows_a_button_and_the_post_accepts(mail_kit):
    kit = mail_kit
    assignment_id = kit.written("maya")
    kit.deliver()
    text = kit.box.mails[0]["message"].get_body(("plain",)).get_content()
    link = next(line.split("Accept it: ", 1)[1] for line in text.splitlines() if line.startswith("Accept it: "))
    path = link.removeprefix("http://127.0.0.1:8000")
    client = kit.app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and b"<form method=\"post\">" in page.data
    with kit.db.session() as session:
        assert session.get(Assignment, assignment_id).accepted_at is None  # a GET (a mail scanner) accepts nothing
    assert client.post(path).status_code == 200
    with kit.db.session() as session:
        assert session.get(Assignment, assignment_id).accepted_at == kit.now()
    assert client.get(path[:-3] + "abc").status_code == 404  # a forged token


def test_a_temporary_refusal_is_retried_and_a_permanent_one_fails(mail_kit):
    kit = mail_kit
    kit.box.refuse = {"maya.patel@demo.leadrouter.dev": "451 4.3.0 Mailbox busy, try later",
                      "ghost@nowhere.example": "550 5.1.1 No such user"}
    kit.written("maya", rule="quiet")
    kit.written("ghost", lead_id="00Q5g00000GHOSTL", rule="quiet")
    report = kit.deliver()
    assert (report.sent, report.retrying, report.failed) == (0, 1, 1)
    with kit.db.session() as session:
        rows = {n.target: n for n in session.scalars(select(Notification))}
    assert rows["maya.patel@demo.leadrouter.dev"].status == "pending"
    assert "451" in rows["maya.patel@demo.leadrouter.dev"].last_error
    assert rows["ghost@nowhere.example"].status == "failed" and "550" in rows["ghost@nowhere.example"].last_error
    kit.box.refuse = {}
    kit.advance(5)
    assert kit.deliver().sent == 1 and len(kit.box.mails) == 1


def test_an_admin_template_replaces_the_built_in_one(mail_kit):
    kit = mail_kit
    (kit.templates / "assigned.subject.txt").write_text("[Leads] {{ lead_title(payload) }} is yours")
    kit.written("maya", rule="quiet")
    kit.deliver()
    message = kit.box.mails[0]["message"]
    assert message["Subject"] == "[Leads] Zoë Novak (Novak Robotics) is yours"
    assert "Zoë Novak" in message.get_body(("plain",)).get_content()  # the other templates are still the built-in ones


def test_the_password_is_never_sent_without_tls(certs):
    from connector.notify.base import Message, NotifyError
    from connector.notify.email import EmailNotifier

    box = Mailbox()
    controller = start_smtp(box, None, USER, PASSWORD)  # no STARTTLS offered
    try:
        notifier = EmailNotifier(f"smtp://{USER}:pw@127.0.0.1:{controller.port}", "leadrouter@localhost")
        with pytest.raises(NotifyError) as caught:
            notifier.send(Message(1, "assigned", "maya@example.com", {"lead": {"name": "Zoë"}}))
        assert caught.value.permanent and "STARTTLS" in caught.value.message
        assert box.mails == []
    finally:
        controller.stop()


def test_lead_fields_are_escaped_in_the_html_part(mail_kit):
    kit = mail_kit
    kit.written("maya", rule="quiet", summary={"name": "<script>alert(1)</script>", "company": "Evil & Co"})
    kit.deliver()
    message = kit.box.mails[0]["message"]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Evil &amp; Co" in html
    assert "<script>alert(1)</script>" in message.get_body(("plain",)).get_content()
