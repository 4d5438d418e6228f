"""`leadrouter sandbox` (also `python -m sandbox`): run the CRM sandbox in the foreground."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import click

from sandbox.core import DEFAULT_OPTIONS
from sandbox.server import start


@click.command("sandbox")
@click.option("--port", default=8700, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed", default="demo", show_default=True,
              help="Demo org to load at start ('' for an empty org).")
@click.option("--tls", is_flag=True, help="Serve HTTPS with a generated CA (needed by "
                                           "simple-salesforce, which always uses https://).")
@click.option("--cert-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where --tls writes ca.pem, server.pem, server.key (default: a temp dir).")
@click.option("--hubspot-webhook-url", help="Where HubSpot webhooks are POSTed.")
@click.option("--salesforce-outbound-url", help="Where Salesforce outbound messages are POSTed.")
@click.option("--salesforce-client-id", default=DEFAULT_OPTIONS["salesforce_client_id"],
              show_default=True)
@click.option("--salesforce-client-secret", default=DEFAULT_OPTIONS["salesforce_client_secret"],
              show_default=True)
@click.option("--salesforce-username", default=DEFAULT_OPTIONS["salesforce_username"],
              show_default=True)
@click.option("--salesforce-password", default=DEFAULT_OPTIONS["salesforce_password"],
              show_default=True)
@click.option("--salesforce-security-token",
              default=DEFAULT_OPTIONS["salesforce_security_token"], show_default=True)
@click.option("--salesforce-jwt-cert", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="PEM certificate or public key that JWT bearer assertions must be signed for.")
@click.option("--hubspot-token", default=DEFAULT_OPTIONS["hubspot_token"], show_default=True)
@click.option("--hubspot-app-secret", default=DEFAULT_OPTIONS["hubspot_app_secret"],
              show_default=True)
@click.option("--slack-bot-token", default=DEFAULT_OPTIONS["slack_bot_token"], show_default=True)
@click.option("--slack-signing-secret", default=DEFAULT_OPTIONS["slack_signing_secret"],
              show_default=True)
@click.option("--log-requests/--no-log-requests", default=True, show_default=True)
def sandbox(port: int, host: str, seed: str, tls: bool, cert_dir: Path | None,
            salesforce_jwt_cert: Path | None, log_requests: bool, **credentials: str) -> None:
    """Run the CRM sandbox (Salesforce, HubSpot, Slack) until interrupted."""
    options = {k: v for k, v in credentials.items() if v is not None}
    if salesforce_jwt_cert is not None:
        options["salesforce_jwt_public_key"] = salesforce_jwt_cert.read_text()
    running = start(port, host=host, tls=tls, cert_dir=cert_dir, seed=seed or None,
                    log_requests=log_requests, **options)
    click.echo(f"leadrouter sandbox listening on {running.url}")
    if running.ca_path:
        click.echo(f"CA certificate: {running.ca_path}")
    click.echo(json.dumps(running.sandbox.describe(), indent=2, default=str))
    click.echo("Control plane: " + running.url + "/__sandbox__/  (Ctrl-C to stop)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
