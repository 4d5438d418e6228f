"""The fuzz suite's app (one per module, on SQLite; every door configured), the tally of what
was sent and answered, and the guard that no traceback is logged.

Examples are deterministic by default (``derandomize``), so the suite is the same on every run;
``LEADROUTER_FUZZ_RANDOM=1 LEADROUTER_FUZZ_EXAMPLES=500`` explores further. The tally is printed
at the end of the run and written to ``test-artifacts/fuzz-doors.json``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from sqlalchemy import func, select

from connector.platform.db import get_db
from connector.pipeline.models import InboxEvent
from tests.support.apps import build_app, dispose
from tests.fuzz.tally import PARSED, TALLY

HUBSPOT_SECRET = "fuzz-app-secret"
INBOUND_SECRET = "fuzz-inbound-secret"
SLACK_SECRET = "fuzz-signing-secret"
ORG = "00D5g000004SbxAEAS"
BASE = "http://localhost"

EXAMPLES = int(os.environ.get("LEADROUTER_FUZZ_EXAMPLES", 150))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=not os.environ.get("LEADROUTER_FUZZ_RANDOM"),
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz-doors.json"


class Tracebacks(logging.Handler):
    """Every ERROR (or worse) record that carries an exception, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture(scope="module")
def tracebacks():
    handler = Tracebacks()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture(scope="module")
def door(tmp_path_factory, tracebacks):
    tmp = tmp_path_factory.mktemp("fuzz")
    app = build_app(f"sqlite:///{tmp / 'fuzz.db'}", tmp / "var", LEADROUTER_BASE_URL=BASE,
                    LEADROUTER_HUBSPOT_TOKEN="pat-fuzz", LEADROUTER_HUBSPOT_APP_SECRET=HUBSPOT_SECRET,
                    LEADROUTER_SALESFORCE_URL="https://login.example", LEADROUTER_SALESFORCE_CLIENT_ID="id",
                    LEADROUTER_SALESFORCE_CLIENT_SECRET="secret", LEADROUTER_SALESFORCE_ORG_ID=ORG,
                    LEADROUTER_INBOUND_SECRET=INBOUND_SECRET, LEADROUTER_SLACK_SIGNING_SECRET=SLACK_SECRET)
    app.testing = False   # errors answered as the product answers them (500), not raised into the test
    yield app
    dispose(app)


def stored(app) -> int:
    with get_db(app).session() as session:
        return session.scalar(select(func.count()).select_from(InboxEvent))


class Sender:
    """Posts to one door and checks the three promises: 2xx or 4xx only, nothing stored on a 4xx,
    no traceback logged."""

    def __init__(self, app, tracebacks: Tracebacks) -> None:
        self.app, self.tracebacks = app, tracebacks
        self.client = app.test_client()

    def post(self, door: str, path: str, body: bytes, headers: dict, content_type: str):
        before, logged = stored(self.app), len(self.tracebacks.records)
        response = self.client.post(path, data=body, headers=headers, content_type=content_type)
        TALLY[(door, response.status_code)] += 1
        status = response.status_code
        assert 200 <= status < 300 or 400 <= status < 500, (status, response.get_data(as_text=True)[:300])
        if status >= 400:
            assert response.is_json and "error" in response.get_json(), response.data[:200]
            assert stored(self.app) == before, f"a {status} stored something"
        new = self.tracebacks.records[logged:]
        assert not new, [r.getMessage() for r in new]
        return response


@pytest.fixture(scope="module")
def sender(door, tracebacks):
    return Sender(door, tracebacks)


# -- signatures, as each vendor (and our README) documents them ------------------------------------
def hubspot_v3(body: bytes, path: str, stamp_ms: int | None = None) -> dict:
    stamp = str(int(time.time() * 1000) if stamp_ms is None else stamp_ms)
    source = b"POST" + (BASE + path).encode() + body + stamp.encode()
    digest = base64.b64encode(hmac.new(HUBSPOT_SECRET.encode(), source, hashlib.sha256).digest()).decode()
    return {"X-HubSpot-Signature-v3": digest, "X-HubSpot-Request-Timestamp": stamp}


def inbound_signed(body: bytes, stamp: str | None = None) -> dict:
    stamp = str(int(time.time())) if stamp is None else stamp
    digest = hmac.new(INBOUND_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Leadrouter-Timestamp": stamp, "X-Leadrouter-Signature": "sha256=" + digest}


def slack_signed(body: bytes, stamp: int | None = None) -> dict:
    stamp = int(time.time()) if stamp is None else stamp
    digest = hmac.new(SLACK_SECRET.encode(), b"v0:%d:" % stamp + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": "v0=" + digest}


def pytest_terminal_summary(terminalreporter):
    if not TALLY and not PARSED:
        return
    doors: dict[str, dict[str, int]] = {}
    for (door, status), count in sorted(TALLY.items()):
        doors.setdefault(door, {})[str(status)] = count
    parsers: dict[str, dict[str, int]] = {}
    for (parser, outcome), count in sorted(PARSED.items()):
        parsers.setdefault(parser, {})[outcome] = count
    report = {"requests": sum(TALLY.values()), "doors": doors, "parsed": sum(PARSED.values()), "parsers": parsers}
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(report, indent=2) + "\n")
    terminalreporter.write_sep("-", "fuzz: requests per door and status")
    terminalreporter.write_line(json.dumps(report))
