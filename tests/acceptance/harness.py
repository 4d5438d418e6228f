"""Start the real product in subprocesses and look at it only from the outside.

A ``Product`` is a checkout of leadrouter (``LEADROUTER_ACCEPTANCE_ROOT``, default this repo) run
with this interpreter: ``cli(...)`` runs a command to its end, ``start(...)`` a long-lived process
(``run``, ``web``, ``worker``) whose stdout/stderr go to a log file. ``Process.stop()`` sends
SIGTERM and expects a clean exit; ``Product.assert_clean_logs()`` fails on any traceback or
``ERROR`` line in any process's log. A ``FakeClock`` moves the clock of processes started under
libfaketime and the CRM sandbox's clock together.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

import requests

from sandbox.client import SandboxClient
from tests.support import waiting
from tests.support.cli import ROOT as REPO
from tests.support.waiting import free_port  # noqa: F401 — bench/ and tests/docs take it from here

ROOT = Path(os.environ.get("LEADROUTER_ACCEPTANCE_ROOT") or REPO).resolve()
BAD_LINE = re.compile(r"Traceback \(most recent call last\)|\bERROR\b|\bCRITICAL\b")


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """``tests.support.waiting.wait_until`` at the pace of a person watching a product."""
    return waiting.wait_until(predicate, timeout, what, every)


# -- time ---------------------------------------------------------------------------------------
def faketime_library() -> Path | None:
    """libfaketime with the fix for Python 3.11's ``clock_nanosleep(CLOCK_MONOTONIC,
    TIMER_ABSTIME)`` (wolfcw/libfaketime#426: Debian's 0.9.10 makes ``time.sleep`` raise EINVAL
    when the monotonic clock is left alone). The PyPI package ``libfaketime`` ships such a build."""
    spec = importlib.util.find_spec("libfaketime")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = Path(folder) / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
        if found.exists():
            return found
    return None


class FakeClock:
    """One offset for the processes started with it (libfaketime reads ``+Ns`` from a file at
    every clock call: FAKETIME_NO_CACHE) and for the CRM sandbox. Monotonic time stays real, so
    timeouts and thread waits in the product behave."""

    def __init__(self, folder: Path, crm: Any, start_offset: float = 0.0) -> None:
        self.library = faketime_library()
        self.file = folder / "faketime"
        self.crm = crm
        self.offset = 0.0
        self._write()
        if start_offset:
            self.advance(start_offset)

    def env(self) -> dict[str, str]:
        assert self.library is not None
        return {"LD_PRELOAD": str(self.library), "FAKETIME_TIMESTAMP_FILE": str(self.file),
                "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}

    def _write(self) -> None:
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(f"+{self.offset:.3f}s\n")
        os.replace(tmp, self.file)

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self._write()
        self.crm.sandbox.clock.advance(seconds)

    def resync_sandbox(self) -> None:
        """After ``crm.sandbox.reset()`` (which puts the sandbox clock back to real time)."""
        self.crm.sandbox.clock.advance(self.offset)


# -- processes ----------------------------------------------------------------------------------
@dataclass
class Process:
    name: str
    args: list[str]
    popen: subprocess.Popen
    log_path: Path
    url: str | None = None
    stopped: bool = False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_ready(self, path: str = "/readyz", timeout: float = 60) -> None:
        assert self.url, f"{self.name} serves no HTTP"

        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"{self.name} exited with {self.popen.returncode} before it was ready:\n"
                                     f"{self.log()[-4000:]}")
            try:
                return requests.get(self.url + path, timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, timeout, f"{self.name} {path}")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then a clean exit (0) within ``timeout``; SIGKILL and fail otherwise."""
        if self.stopped:
            return self.popen.returncode
        self.stopped = True
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
                raise AssertionError(f"{self.name} did not stop within {timeout}s of SIGTERM:\n{self.log()[-4000:]}")
        return self.popen.returncode


@dataclass
class Product:
    """One installation of leadrouter as an admin sets it up: an environment and a folder."""

    folder: Path
    env: dict[str, str]
    root: Path = ROOT
    processes: list[Process] = field(default_factory=list)
    cli_logs: list[tuple[str, str]] = field(default_factory=list)
    _reported: set = field(default_factory=set)

    def _env(self, extra: dict[str, str] | None) -> dict[str, str]:
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.folder),
                "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1"}
        return {**base, **self.env, **(extra or {})}

    def cli(self, *args: str, env: dict[str, str] | None = None, input: str | None = None,
            check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "app.py", *args], cwd=self.root, env=self._env(env), input=input,
                              capture_output=True, text=True, timeout=timeout)
        output = done.stdout + done.stderr
        self.cli_logs.append((" ".join(args), output))
        if check:
            assert done.returncode == 0, f"`python app.py {' '.join(args)}` exited {done.returncode}:\n{output[-4000:]}"
        return done

    def start(self, name: str, *args: str, env: dict[str, str] | None = None, port: int | None = None) -> Process:
        log_path = self.folder / f"{name}.log"
        handle = open(log_path, "ab")
        popen = subprocess.Popen([sys.executable, "app.py", *args], cwd=self.root, env=self._env(env),
                                 stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        process = Process(name, list(args), popen, log_path, f"http://127.0.0.1:{port}" if port else None)
        self.processes.append(process)
        return process

    def stop_all(self) -> dict[str, int]:
        codes = {}
        for process in reversed(self.processes):
            codes[process.name] = process.stop()
        return codes

    def kill_all(self) -> None:
        for process in self.processes:
            if process.alive():
                process.popen.kill()
                process.popen.wait(10)

    def bad_lines(self) -> list[str]:
        found = []
        for process in self.processes:
            found += [f"{process.name}: {line}" for line in process.log().splitlines() if BAD_LINE.search(line)]
        for command, output in self.cli_logs:
            found += [f"`{command}`: {line}" for line in output.splitlines() if BAD_LINE.search(line)]
        return found

    def assert_clean_logs(self, *, new_only: bool = True) -> None:
        """No traceback / ERROR line in any log; ``new_only``: none since the last check (so each
        test answers for the lines written while it ran)."""
        every = self.bad_lines()
        bad = [line for line in every if line not in self._reported] if new_only else every
        self._reported.update(every)
        assert not bad, (f"{len(bad)} traceback / ERROR line(s) in the product's logs, the first ones:\n"
                         + "\n".join(bad[:12]))

    def dump(self) -> str:
        parts = []
        for process in self.processes:
            parts.append(f"----- {process.name} ({' '.join(process.args)}) rc={process.popen.poll()} -----\n"
                         f"{process.log()[-6000:]}")
        return "\n".join(parts)


def stop_cleanly(product: Product) -> None:
    """Every process exits 0 on SIGTERM, and no log has a traceback or an ERROR line."""
    codes = product.stop_all()
    assert all(code == 0 for code in codes.values()), f"exit codes after SIGTERM: {codes}\n{product.dump()}"
    product.assert_clean_logs(new_only=False)


# -- the CRM, seen from outside -----------------------------------------------------------------
class Crm:
    """The sandbox's vendor APIs and control plane, over HTTPS, as a person or the vendor sees it."""

    HUBSPOT_TOKEN = "sandbox-hubspot-token"
    SLACK_SECRET = "sandbox-signing-secret"

    def __init__(self, running: Any) -> None:
        self.running = running
        self.url = running.url
        self.sandbox = SandboxClient(running.url, ca=running.ca_path)   # its control plane
        self.http = self.sandbox.http   # its vendor APIs: the same CA, no proxy

    def control(self, path: str, method: str = "GET", **body: Any) -> Any:
        """A control route by its path; ``self.sandbox`` has a method for each."""
        return self.sandbox.call(method, path, body=body or None)

    # HubSpot CRM v3
    def hubspot(self, method: str, path: str, **body: Any) -> Any:
        response = self.http.request(method, f"{self.url}{path}", json=body or None, timeout=10,
                                     headers={"Authorization": f"Bearer {self.HUBSPOT_TOKEN}"})
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def create_contact(self, tag: str, **properties: str) -> str:
        props = {"email": f"{tag}@{tag}.example", "firstname": tag.title(), "lastname": "Prospect",
                 "company": f"{tag.title()} Inc", "country": "US", **properties}
        return str(self.hubspot("POST", "/crm/v3/objects/contacts", properties=props)["id"])

    def contact_owner(self, contact_id: str) -> str | None:
        record = self.hubspot("GET", f"/crm/v3/objects/contacts/{contact_id}?properties=hubspot_owner_id")
        return record["properties"].get("hubspot_owner_id") or None

    def hubspot_owners(self) -> list[dict]:
        return self.hubspot("GET", "/crm/v3/owners?limit=100")["results"]

    # Salesforce (a lead created the way a web-to-lead form would: the control plane's creation)
    def create_sf_lead(self, tag: str, **fields: Any) -> str:
        record = self.sandbox.create_lead("salesforce", first_name=tag.title(), last_name="Prospect",
                                          email=f"{tag}@{tag}.example", company=f"{tag.title()} Ltd", country="US",
                                          **fields)
        return str(record.get("Id") or record.get("id"))

    def sf_owner(self, lead_id: str) -> str | None:
        return self.sandbox.record("salesforce", "Lead", lead_id).get("OwnerId")

    # Slack
    def slack_messages(self, channel: str | None = None) -> list[dict]:
        return self.sandbox.slack.messages(channel)

    def slack_users(self) -> list[dict]:
        return self.sandbox.slack.users()

    def requests_log(self, vendor: str | None = None) -> list[dict]:
        return self.sandbox.requests(vendor)


def slack_signed_post(app_url: str, payload: dict, *, secret: str, timestamp: int) -> requests.Response:
    """What Slack sends to an app's Interactivity Request URL: a form with one ``payload`` field,
    ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature: v0=`` + hex HMAC-SHA256 of
    ``v0:{timestamp}:{raw body}`` (docs.slack.dev, verifying requests from Slack)."""
    body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return requests.post(f"{app_url}/slack/actions", data=body, timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"})


def block_actions(message: dict, action_id: str, user: dict, team_id: str = "T0SANDBOX") -> dict:
    """A block_actions payload for a click on one button of a posted message (Slack's shape)."""
    for block in message["message"].get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                action = {"action_id": action_id, "block_id": block.get("block_id", ""), "type": "button",
                          "value": element.get("value"), "text": element.get("text"),
                          "action_ts": f"{time.time():.6f}"}
                break
        else:
            continue
        break
    else:
        raise AssertionError(f"no {action_id} button in {message['message']}")
    handle = user["name"]
    return {"type": "block_actions", "user": {"id": user["id"], "username": handle, "name": handle, "team_id": team_id},
            "api_app_id": "A0SANDBOX", "token": "verification", "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": message["channel"],
                          "is_ephemeral": False},
            "team": {"id": team_id, "domain": "sandbox"}, "channel": {"id": message["channel"], "name": "directmessage"},
            "message": message["message"], "state": {"values": {}},
            "response_url": "https://hooks.slack.com/actions/T0/1/x", "actions": [action]}


def button_ids(message: dict) -> set[str]:
    return {element.get("action_id") for block in message["message"].get("blocks", [])
            for element in block.get("elements", []) if element.get("action_id")}


# -- the settings page, as a person sees it -------------------------------------------------------
class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": (a.get("method") or "get").lower(), "fields": {},
                               "buttons": []})
        elif self.forms and tag == "input" and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif self.forms and tag == "button":
            self.forms[-1]["buttons"].append(a.get("aria-label") or "")


def forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Browser:
    """A person at the settings page: a cookie session, forms read from the HTML (CSRF included)."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base + path, timeout=15)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response

    def submit(self, path: str, form: dict, **values: str) -> requests.Response:
        action = form["action"] or path
        url = action if action.startswith("http") else self.base + (action if action.startswith("/") else path)
        return self.http.post(url, data={**form["fields"], **values}, timeout=15, allow_redirects=True)

    def login(self, email: str, password: str) -> None:
        [form] = [f for f in forms(self.get("/login").text) if f["method"] == "post"]
        assert "csrf_token" in form["fields"]
        answer = self.submit("/login", form, email=email, password=password)
        assert answer.status_code == 200 and "/login" not in answer.url, f"sign-in failed: {answer.status_code} {answer.url}"

    def new_api_token(self) -> str:
        [form] = [f for f in forms(self.get("/settings/tokens").text) if f["method"] == "post" and "name" in
                  f["fields"] or f["action"] is None]
        answer = self.submit("/settings/tokens", form, name="acceptance")
        match = re.search(r'<code id="new-token">([^<]+)</code>', answer.text)
        assert match, answer.text[:2000]
        return match.group(1)


class Api:
    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url + "/api/v1"
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(self.base + path, params=params, timeout=15)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def log(self, **params: Any) -> list[dict]:
        return self.get("/log", **params)["items"]
