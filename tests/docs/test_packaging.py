"""The packaging files production.md shows — Dockerfile, docker-compose.yml, the systemd units —
run only real commands with real settings, in the order the guide describes; and the compose
recipe, run as its services' own commands and environment against a fresh PostgreSQL (no Docker
here: images cannot be pulled), migrates, serves a ready web app and a worker, and stops cleanly.
Where Docker Compose or systemd-analyze is installed, they check the files too."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from tests.acceptance.harness import Product, free_port, stop_cleanly
from tests.docs.commands import ROOT, app_cli, problems

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
IMAGE_SERVICES = ("migrate", "app", "worker")


def _cli():
    return app_cli()


def _setting_names() -> set[str]:
    from connector.platform.settings import ENV_PREFIX, load_settings

    return {ENV_PREFIX + name.upper() for name in type(load_settings()).model_fields}


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` with nothing set: the default."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def _assert_real(words: list[str], where: str) -> None:
    found = problems(_cli(), tuple(words))[1]
    assert not found, f"{where}: `python app.py {' '.join(words)}`: {found}"


# -- Dockerfile --------------------------------------------------------------------------------------------
def test_the_image_is_python_311_slim_with_the_pinned_requirements_and_a_non_root_user():
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    order = [i for i, (op, args) in enumerate(steps) if op == "COPY" and args.startswith("requirements.txt")]
    install = [i for i, (op, args) in enumerate(steps) if op == "RUN" and "pip install -r requirements.txt" in args]
    code = [i for i, (op, args) in enumerate(steps) if op == "COPY" and args.split()[0] == "."]
    assert order and install and code and order[0] < install[0] < code[0]   # code changes keep the layer
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must end as a non-root user"
    assert any(op == "RUN" and "useradd" in args and users[-1] in args for op, args in steps)


def test_the_image_entry_point_is_the_cli_and_its_default_command_is_real():
    steps = dict(dockerfile())
    assert json.loads(steps["ENTRYPOINT"]) == ["python", "app.py"]
    command = json.loads(steps["CMD"])
    _assert_real(command, "Dockerfile CMD")
    assert command[command.index("--port") + 1] == steps["EXPOSE"]
    assert "LEADROUTER_VAR_DIR=/app/var" in steps["ENV"].split()


def test_the_build_context_leaves_out_the_venv_local_data_and_secrets():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", "var", ".env", "tests", "test-artifacts"} <= ignored


# -- docker-compose.yml -------------------------------------------------------------------------------------
def test_compose_runs_postgres_with_a_volume_and_a_health_check():
    postgres = SERVICES["postgres"]
    assert postgres["image"].startswith("postgres:")
    volume = next(v.split(":")[0] for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume in COMPOSE["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_compose_migrates_once_before_the_app_and_the_workers_start():
    assert SERVICES["migrate"]["command"] == ["db", "upgrade"]
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("app", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["app"]["command"][0] == "web" and SERVICES["worker"]["command"] == ["worker"]
    # the app generates the keys into the shared volume before a worker could race it
    assert SERVICES["worker"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(SERVICES["app"]["healthcheck"]["test"])


def test_compose_services_run_real_commands_with_real_settings_and_share_the_var_volume():
    known = _setting_names()
    for name in IMAGE_SERVICES:
        service = SERVICES[name]
        assert service["build"] == "." and service["image"] == SERVICES["app"]["image"]
        _assert_real(service["command"], f"docker-compose.yml {name}")
        unknown = sorted(set(service["environment"]) - known)
        assert not unknown, f"{name}: not leadrouter settings: {unknown}"
        assert "leadrouter-var:/app/var" in service["volumes"]
    url = _interpolate(SERVICES["app"]["environment"]["LEADROUTER_DATABASE_URL"])
    assert re.fullmatch(r"postgresql://leadrouter:[^@]+@postgres:5432/leadrouter", url)


def _compose_v2() -> bool:
    """Docker Compose v2 (the `docker compose` plugin): the file uses its `name` and optional
    `env_file` (2.24+), which the old Python docker-compose 1.x does not know."""
    if not shutil.which("docker"):
        return False
    done = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True, timeout=30)
    return done.returncode == 0


@pytest.mark.skipif(not _compose_v2(), reason="Docker Compose v2 (docker compose) is not installed")
def test_docker_compose_itself_accepts_the_file():
    done = subprocess.run(["docker", "compose", "-f", "docker-compose.yml", "config", "--quiet"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# -- systemd ------------------------------------------------------------------------------------------------
UNITS = sorted((ROOT / "deploy").glob("*.service"))


def _unit(path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_systemd_unit_runs_a_real_command_from_the_venv(path):
    unit = _unit(path)
    service = unit["Service"]
    words = shlex.split(service["ExecStart"])
    assert words[0] == service["WorkingDirectory"] + "/.venv/bin/python" and words[1] == "app.py"
    _assert_real(words[2:], path.name)
    assert service["User"] != "root" and service["EnvironmentFile"].startswith("/etc/leadrouter/")
    assert service["ReadWritePaths"] == service["WorkingDirectory"] + "/var"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verifies_each_unit(path, tmp_path):
    # The unit as it would be installed, with this checkout and interpreter in place of /opt/leadrouter.
    text = path.read_text().replace("/opt/leadrouter/.venv/bin/python", sys.executable)
    text = text.replace("/opt/leadrouter", str(ROOT)).replace("/etc/leadrouter/leadrouter.env", str(tmp_path / "env"))
    text = re.sub(r"^(User|Group)=.*$", "", text, flags=re.M)
    (tmp_path / "env").write_text("")
    copy = tmp_path / path.name
    copy.write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    mine = [line for line in done.stderr.splitlines() if path.name in line or str(tmp_path) in line]
    assert done.returncode == 0 and not mine, done.stderr


# -- the compose recipe, run for real ---------------------------------------------------------------------
@pytest.mark.slow
def test_the_compose_services_commands_migrate_serve_and_work_on_a_fresh_postgres(postgresql_url, tmp_path):
    """What `docker compose up` runs, without Docker: migrate's command to its end, then app's and
    worker's, with their environment, a fresh PostgreSQL in place of the `postgres` service and a
    shared var folder in place of the `leadrouter-var` volume."""
    port = free_port()
    var_dir = tmp_path / "var"   # the image's LEADROUTER_VAR_DIR (/app/var), the shared volume
    env = {name: _interpolate(value) for name, value in SERVICES["app"]["environment"].items()}
    env.update(LEADROUTER_DATABASE_URL=postgresql_url, LEADROUTER_BASE_URL=f"http://127.0.0.1:{port}",
               LEADROUTER_VAR_DIR=str(var_dir), LEADROUTER_LOG_LEVEL="INFO")
    product = Product(tmp_path, env)
    app_command = list(SERVICES["app"]["command"])
    app_command[app_command.index("--host") + 1] = "127.0.0.1"
    app_command[app_command.index("--port") + 1] = str(port)
    try:
        migrated = product.cli(*SERVICES["migrate"]["command"])
        assert "database at" in migrated.stdout
        app = product.start("app", *app_command, port=port)
        app.wait_ready("/readyz", timeout=90)
        probe = SERVICES["app"]["healthcheck"]["test"]
        assert probe[:2] == ["CMD", "python"]
        health = subprocess.run([sys.executable, *probe[2:-1], probe[-1].replace(":8000/", f":{port}/")],
                                capture_output=True, text=True, timeout=30)
        assert health.returncode == 0, health.stderr
        assert (var_dir / "encryption.key").exists() and (var_dir / "secret_key").exists()
        worker = product.start("worker", *SERVICES["worker"]["command"])
        time.sleep(4)
        assert worker.alive(), worker.log()[-3000:]
        assert "upgrade needed" not in product.cli("db", "current").stdout
    except BaseException:
        print(product.dump())
        product.kill_all()
        raise
    stop_cleanly(product)


# -- the nginx example of production.md --------------------------------------------------------------------
@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed")
def test_nginx_accepts_the_proxy_example_of_the_production_guide(tmp_path):
    import trustme

    guide = (ROOT / "docs" / "production.md").read_text(encoding="utf-8")
    example = re.search(r"```nginx\n(.*?)```", guide, re.S).group(1)
    cert = trustme.CA().issue_cert("leadrouter.acme.example")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    example = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp_path / 'cert.pem'};", example)
    example = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp_path / 'key.pem'};", example)
    example = re.sub(r"listen (80|443)\b", lambda m: f"listen 127.0.0.1:{free_port()}", example)
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{\naccess_log off;\n{example}\n}}\n")
    done = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
