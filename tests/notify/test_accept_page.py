"""The email's accept page (/notify/accept/<token>): committed before it renders, so a signed-in
user's login lookup never waits on our own write; styled from a static file under the app's CSP."""

from __future__ import annotations

import re
import time

from connector.pipeline.models import Assignment
from connector.notify.actions import accept_token
from tests.support.web import make_user, sign_in


def _path(kit, assignment_id: int, rep: str = "maya") -> str:
    return f"/notify/accept/{accept_token(kit.app.secret_key, assignment_id, rep)}"


def test_a_signed_in_user_accepts_from_the_link_without_waiting(kit):
    assignment_id = kit.written("maya")
    make_user(kit.db, "maya.manager@example.com", "manager")
    client = kit.app.test_client()
    sign_in(client, "maya.manager@example.com")
    started = time.monotonic()
    page = client.get(_path(kit, assignment_id))
    answer = client.post(_path(kit, assignment_id))
    elapsed = time.monotonic() - started
    assert page.status_code == 200 and answer.status_code == 200, answer.data
    assert b"Accepted" in answer.data
    assert elapsed < 5, f"the accept page took {elapsed:.1f} s"
    with kit.db.session() as session:
        assert session.get(Assignment, assignment_id).accepted_at == kit.now()
    again = client.get(_path(kit, assignment_id))
    assert again.status_code == 200 and b"Already accepted" in again.data


def test_the_accept_page_has_no_inline_style_and_its_stylesheet_is_served(kit):
    assignment_id = kit.written("maya")
    client = kit.app.test_client()
    page = client.get(_path(kit, assignment_id))
    html = page.get_data(as_text=True)
    assert "style-src 'self'" in page.headers["Content-Security-Policy"]
    assert not re.search(r"\sstyle\s*=", html) and "<style" not in html
    sheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    css = client.get(sheet)
    assert css.status_code == 200 and css.mimetype == "text/css" and b".notify-page" in css.data


def test_a_link_for_someone_elses_lead_is_a_410(kit):
    assignment_id = kit.written("maya")
    answer = kit.app.test_client().post(_path(kit, assignment_id, rep="liam"))
    assert answer.status_code == 410
    with kit.db.session() as session:
        assert session.get(Assignment, assignment_id).accepted_at is None
