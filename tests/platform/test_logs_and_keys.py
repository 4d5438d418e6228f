"""Log lines: one per event, JSON on request, secrets masked. Keys: generated once, kept."""

from __future__ import annotations

import io
import json
import logging
import stat

import pytest

from connector.platform import logs
from connector.platform.keys import SecretBox, ensure_keys


@pytest.fixture
def captured():
    stream = io.StringIO()
    yield stream
    logs.configure("WARNING", "text")


def test_json_logs_are_one_object_per_line_with_extras(captured):
    logs.configure("INFO", "json", secrets=[], stream=captured)
    logging.getLogger("leadrouter.test").info("lead %s routed", "00Q1", extra={"rule": "west"})
    lines = captured.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["msg"] == "lead 00Q1 routed" and entry["rule"] == "west" and entry["level"] == "info"


def test_configured_secrets_and_token_shapes_never_reach_the_log(captured):
    logs.configure("INFO", "text", secrets=["pat-na1-0123456789"], stream=captured)
    log = logging.getLogger("leadrouter.test")
    log.info("calling hubspot with pat-na1-0123456789")
    log.info("headers %s", {"Authorization": "Bearer 00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog"})
    log.info("slack said no to xoxb-1111-2222-abcdef")
    try:
        raise RuntimeError("login failed for smtp://mailer:hunter2@mail.example password=hunter2")
    except RuntimeError:
        log.exception("boom")
    output = captured.getvalue()
    for secret in ("pat-na1-0123456789", "AR8AQJXg5oj8jXSgxJfA0lBog", "xoxb-1111-2222-abcdef", "hunter2"):
        assert secret not in output
    assert output.count(logs.MASK) >= 4


def test_request_id_is_on_log_lines_of_that_request(app, captured):
    logs.configure("INFO", "json", secrets=[], stream=captured)

    @app.get("/_log_probe")
    def _probe():
        logging.getLogger("leadrouter.test").info("inside")
        return "ok"

    from tests.support.web import signed_in

    signed_in(app).get("/_log_probe", headers={"X-Request-Id": "req-77"})
    entries = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert any(e["msg"] == "inside" and e.get("request_id") == "req-77" for e in entries)


def test_keys_are_generated_once_private_and_kept(tmp_path):
    first = ensure_keys(tmp_path, None, None)
    second = ensure_keys(tmp_path, None, None)
    assert first == second
    for name in ("secret_key", "encryption.key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    box = SecretBox(first[1])
    assert box.decrypt(box.encrypt("s3cret")) == "s3cret"


def test_configured_keys_are_used_and_nothing_is_written(tmp_path):
    secret, key = ensure_keys(tmp_path, "given", "kA3y0Vn2x7mZ5b8Qe1tLr4uWc6pHs9dJf0gNi2oKvXE=")
    assert secret == "given" and key.startswith("kA3y")
    assert list(tmp_path.iterdir()) == []


def test_keys_rotate_newest_first():
    old = SecretBox("kA3y0Vn2x7mZ5b8Qe1tLr4uWc6pHs9dJf0gNi2oKvXE=")
    token = old.encrypt("value")
    rotated = SecretBox("Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGw=,kA3y0Vn2x7mZ5b8Qe1tLr4uWc6pHs9dJf0gNi2oKvXE=")
    assert rotated.decrypt(token) == "value"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGw=").decrypt(token)
    with pytest.raises(ValueError, match="LEADROUTER_ENCRYPTION_KEY"):
        SecretBox("not-a-key")
    assert "kA3y" not in repr(old)
