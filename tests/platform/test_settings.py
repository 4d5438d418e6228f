"""Settings: typed, validated, one clear line per problem, secrets never shown."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from connector.platform.settings import SettingsError, load_settings, settings_doc

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_configuration(tmp_path):
    settings = load_settings({"var_dir": tmp_path})
    assert settings.database_url == f"sqlite:///{tmp_path / 'leadrouter.db'}"
    assert settings.poll_interval_seconds == 60
    assert not settings.crm_configured


def test_environment_variables_use_the_leadrouter_prefix(monkeypatch):
    monkeypatch.setenv("LEADROUTER_DATABASE_URL", "postgresql://u:p@db.example:5432/lr")
    monkeypatch.setenv("LEADROUTER_HUBSPOT_TOKEN", "pat-na1-abc")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://u:p@db.example:5432/lr"
    assert settings.crm_configured


@pytest.mark.parametrize("variable, value, expected", [
    ("LEADROUTER_POLL_INTERVAL_SECONDS", "often", "LEADROUTER_POLL_INTERVAL_SECONDS"),
    ("LEADROUTER_POLL_INTERVAL_SECONDS", "1", "LEADROUTER_POLL_INTERVAL_SECONDS"),
    ("LEADROUTER_LOG_FORMAT", "xml", "LEADROUTER_LOG_FORMAT"),
    ("LEADROUTER_DATABASE_URL", "mysql://x", "LEADROUTER_DATABASE_URL"),
    ("LEADROUTER_HUBSPOT_BASE_URL", "api.hubapi.com", "LEADROUTER_HUBSPOT_BASE_URL"),
    ("LEADROUTER_SMTP_URL", "http://mail", "LEADROUTER_SMTP_URL"),
    ("LEADROUTER_SALESFORCE_URL", "https://login.salesforce.com", "LEADROUTER_SALESFORCE_CLIENT_ID"),
])
def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_secrets_are_redacted_in_repr_and_errors(monkeypatch):
    monkeypatch.setenv("LEADROUTER_SLACK_BOT_TOKEN", "xoxb-very-secret-token")
    monkeypatch.setenv("LEADROUTER_SMTP_URL", "smtp://mailer:hunter2secret@mail.example:587")
    settings = load_settings()
    assert "xoxb-very-secret-token" not in repr(settings)
    assert "hunter2secret" not in repr(settings) and "hunter2secret" not in str(settings)
    monkeypatch.setenv("LEADROUTER_SMTP_URL", "ftp://mailer:hunter2secret@mail.example")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "hunter2secret" not in str(info.value)


def test_startup_with_a_bad_setting_stops_with_one_clear_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LEADROUTER_VAR_DIR": str(tmp_path), "LEADROUTER_LOG_FORMAT": "xml"}
    result = subprocess.run([sys.executable, str(ROOT / "app.py"), "db", "current"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and "LEADROUTER_LOG_FORMAT" in lines[0], result.stderr


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for variable, _default, meaning in settings_doc():
        assert re.search(rf"`{variable}`", readme), f"README lacks {variable}"
        assert meaning, f"{variable} has no description"
