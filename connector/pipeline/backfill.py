"""`python app.py backfill CONNECTION --since DATE [--dry-run] [--limit N]`: route records that
existed before the connection was connected (its first poll routes only newer ones, see the
connection's ``backfill`` key), on demand, with a progress bar and a summary."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone

import click
from tqdm import tqdm

from flask.cli import with_appcontext

from adapters import CrmError, LeadRecord
from connector.pipeline import jobs
from connector.pipeline.inbox import IncomingLead, enqueue
from connector.pipeline.models import Source
from connector.platform.cli import ready_app
from connector.platform.db import get_db
from connector.routing.state import SqlRoutingState
from rules_engine import simulate
from rules_engine.decide import FALLBACK_KEY

MAX_PAGES = 10_000


@dataclass
class Found:
    unassigned: list[LeadRecord] = field(default_factory=list)
    owned: int = 0   # already have a person as owner: left alone


def find(adapter, since: datetime, limit: int | None, bar) -> Found:
    """Every record the CRM lists as unassigned since ``since`` (in the poller's pages)."""
    found = Found()
    cursor = adapter.cursor_since(since)
    for _ in range(MAX_PAGES):
        page = adapter.find_unassigned(cursor)
        for rec in page.leads:
            if rec.has_real_owner:
                found.owned += 1
            else:
                found.unassigned.append(rec)
            bar.update(1)
            if limit is not None and len(found.unassigned) >= limit:
                return found
        cursor = page.cursor
        if not page.has_more:
            break
    return found


def _since(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("an ISO date or time, e.g. 2026-11-01 or 2026-11-01T09:00:00+01:00") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@click.command("backfill")
@click.argument("connection")
@click.option("--since", "since_text", required=True, metavar="DATE",
              help="Records created or changed since this ISO date (UTC unless it says otherwise).")
@click.option("--dry-run", is_flag=True, help="Show who would get each record; queue nothing.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many records.")
@with_appcontext
def backfill(connection: str, since_text: str, dry_run: bool, limit: int | None) -> None:
    """Queue a connection's existing unassigned records for routing (older than its first poll)."""
    since = _since(since_text)
    app = ready_app()
    connections = jobs.runtime(app).connections
    if connection not in connections:
        raise click.ClickException(f"no connection named {connection!r} (known: {', '.join(connections.names())})")
    try:
        adapter = connections.adapter(connection)
        with tqdm(desc=f"reading {connection}", unit=" records", file=sys.stderr,
                  disable=not sys.stderr.isatty()) as bar:
            found = find(adapter, since, limit, bar)
    except CrmError as exc:
        raise click.ClickException(f"{connection}: {exc}") from None
    if dry_run:
        _show(app, connection, found)
        return
    now = datetime.now(timezone.utc)
    with get_db(app).session() as session:
        result = enqueue(session, connection, [IncomingLead(rec.id, Source.BACKFILL, score=int(rec.lead.score or 0))
                                               for rec in found.unassigned], now)
    click.echo(f"{connection}: {len(result.stored)} queued, {len(result.duplicates)} already queued or routed, "
               f"{found.owned} already owned by a person (left alone); the workers route the queued ones")


def _show(app, connection: str, found: Found) -> None:
    """The simulator's answer for each record, from the live routing state; nothing is written."""
    try:
        active = jobs.runtime(app).pipeline.configs.current()
    except Exception:  # noqa: BLE001 — no config: say what to do
        raise click.ClickException("no routing config stored yet: `python app.py rules import FILE`") from None
    config = active.config
    keys = jobs.runtime(app).connections.owner_keys(connection)
    db = get_db(app)
    with db.sessions() as session:  # read-only: rolled back at the end, nothing is written
        state = SqlRoutingState(session, [rule.name for rule in config.rules] + [FALLBACK_KEY],
                                [rep.id for rep in config.reps], connection=connection)
        leads = [rec.lead for rec in found.unassigned]
        rows = [(lead, decision) for lead, decision in simulate(leads, config, state.memory,
                                                                  now=datetime.now(timezone.utc), crm=keys)]
        session.rollback()
    width = max([len(str(lead.id)) for lead, _ in rows] + [4])
    for lead, decision in rows:
        who = decision.owner or f"({decision.status.value})"
        click.echo(f"{str(lead.id).ljust(width)}  {who:<16}  {decision.explain()[-1]}")
    click.echo(f"{connection}: {len(rows)} would be queued (dry run: nothing queued), "
               f"{found.owned} already owned by a person")
