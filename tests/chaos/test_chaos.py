"""The chaos suite (issue 14): a scripted day of traffic on PostgreSQL with ``python app.py web``
(gunicorn) and two ``python app.py worker`` processes against the CRM sandbox over TLS, with every
fault at once — 30 % 5xx on the CRMs' reads and writes, 429 bursts with Retry-After, expired
Salesforce sessions, duplicated and reordered webhooks and outbound messages, people reassigning
leads right after creation and while an owner write is being retried, a worker SIGKILLed
mid-batch and started again, and a PostgreSQL restart — then an audit of what users see
(``tests/chaos/audit.py``): every lead routed exactly once or visibly waiting / dead with its
reason, no lead written to two reps, no person's owner overwritten, rotation spread at most 1,
the assignments log complete. Prints its figures on a ``CHAOS:`` line.

``CHAOS_SCALE`` (default 1: 20 leads per CRM, part of ``make test``) multiplies the traffic.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

from tests.acceptance.conftest import REPS, environment, needs_faketime, new_product, routing_config, write_config
from tests.acceptance.harness import Crm, FakeClock, free_port, wait_until
from tests.chaos import audit
from tests.chaos.weather import CallLog, People, calm, gusts, storm

LEADS_PER_CRM = 20
_SCALE = int(os.environ.get("CHAOS_SCALE", "1")) if os.environ.get("CHAOS_SCALE", "1").isdigit() else 1
pytestmark = [pytest.mark.slow, needs_faketime, pytest.mark.timeout(300 + 120 * _SCALE)]   # the big day is longer
VENDORS = ("hubspot", "salesforce")


class Day:
    def __init__(self, crm, smtp, cluster, database_url: str, folder, scale: int) -> None:
        self.outside, self.cluster, self.database_url = Crm(crm), cluster, database_url
        self.outside.control("reset", "POST")
        self.outside.control("deliveries", "POST", delay_factor=0.01)
        self.clock = FakeClock(folder, crm)
        self.port = free_port()
        config = routing_config()
        config["rules"][0]["notify"] = []
        # Small batches (5 rows, 50 on the big day): many owner writes, kills land mid-batch.
        env = environment(crm, smtp, folder, self.port, database_url, LEADROUTER_WORKER_BATCH_SIZE=str(5 * scale),
                          LEADROUTER_CLAIM_LEASE_SECONDS="6", LEADROUTER_POLL_INTERVAL_SECONDS="5",
                          LEADROUTER_ROUTING_CONFIG=str(write_config(folder, config)), **self.clock.env())
        self.product = new_product(folder, env)
        self.count = LEADS_PER_CRM * scale
        self.leads: list[tuple[str, str]] = []
        self.log = CallLog(self.outside)
        self.people = People(self.outside, self.log, self._humans())
        self.workers: list = []
        self.deliveries: list[dict] = []
        self.figures: dict = {"leads": 2 * self.count}

    def _humans(self) -> dict[str, str]:
        """CRM users outside the rotation (were they reps, their change could read as our write)."""
        rotation = {r[2] for r in REPS} | {r[3] for r in REPS}
        hubspot = next(o["id"] for o in self.outside.hubspot_owners() if o["id"] not in rotation)
        users = self.outside.control("")["vendors"]["salesforce"]["users"]
        salesforce = next(u["Id"] for u in users if u["Id"] not in rotation and "admin" not in u["Username"])
        return {"hubspot": hubspot, "salesforce": salesforce}

    def start(self) -> None:
        self.product.cli("db", "upgrade")
        web = self.product.start("web", "web", "--port", str(self.port), "--workers", "2", port=self.port)
        self.workers = [self.product.start(f"worker{n}", "worker") for n in (1, 2)]
        web.wait_ready()
        url = web.url
        self.outside.control("hubspot/webhooks", "POST", url=f"{url}/webhooks/hubspot/hubspot", batch_window_ms=50)
        self.outside.control("salesforce/outbound-url", "POST", url=f"{url}/webhooks/salesforce/salesforce")

    def traffic(self) -> None:
        """The day's leads, a lead per CRM at a time; a worker killed a third of the way, the
        database restarted two thirds of the way; the storm all along."""
        weather, stop = threading.Thread(target=self._weather, daemon=True), threading.Event()
        self._stop_weather = stop
        self.figures["fault_rules"] = len(storm(self.outside))
        weather.start()
        self.people.start_watching()
        pace = max(0.05, 10 / self.count)
        for n in range(self.count):
            for vendor in VENDORS:
                lead = self._create(vendor, n)
                if n % 10 == 3:   # a person takes it right after it is created
                    self.people.take(vendor, lead)
            if n == self.count // 3:
                self.kill_a_worker()
            if n == 2 * self.count // 3:
                self.restart_postgres()
            time.sleep(pace)

    def _create(self, vendor: str, n: int) -> str:
        tag = f"chaos{n}{vendor[:2]}{time.monotonic_ns() % 10**8}"
        record = self.outside.control("leads", "POST", vendor=vendor, first_name=tag.title(), last_name="Prospect",
                                      email=f"{tag}@{tag}.example", company=f"{tag.title()} Inc", country="US")
        lead = str(record.get("id") or record.get("Id"))
        self.leads.append((vendor, lead))
        return lead

    def _weather(self) -> None:
        tick = 0
        while not self._stop_weather.wait(2):
            tick += 1
            gusts(self.outside, tick)
        self.figures["session_expiries"] = tick

    def kill_a_worker(self) -> None:
        """SIGKILL the first worker seen holding claimed inbox rows (mid-batch), then start another."""
        def holder():
            claimed = self._scalars("SELECT claimed_by FROM inbox_events WHERE status = 'claimed'")
            return next((w for w in self.workers if w.alive() and any(f":{w.popen.pid}:" in c for c in claimed)), None)

        victim = wait_until(holder, 20, "a worker holding claimed rows", every=0.02)
        held = len([c for c in self._scalars("SELECT claimed_by FROM inbox_events WHERE status = 'claimed'")
                    if f":{victim.popen.pid}:" in c])
        victim.popen.send_signal(signal.SIGKILL)
        victim.popen.wait(10)
        victim.stopped = True
        self.workers.append(self.product.start("worker3", "worker"))
        self.figures["killed_worker_claimed_rows"] = held

    def restart_postgres(self) -> None:
        cluster = self.cluster
        command = [str(cluster.bindir / "pg_ctl"), "-D", str(cluster.dir / "data"), "-l", str(cluster.dir / "log"),
                   "-m", "fast", "-w", "-t", "60", "restart"]
        if cluster.as_user:
            command = ["runuser", "-u", cluster.as_user, "--", *command]
        started = time.monotonic()
        subprocess.run(command, check=True, capture_output=True, timeout=90)
        self.figures["postgres_restart_s"] = round(time.monotonic() - started, 1)

    def _rows(self, sql: str) -> list[tuple]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql))]
        finally:
            engine.dispose()

    def _scalars(self, sql: str) -> list:
        return [row[0] for row in self._rows(sql)]

    def settle(self, timeout: float) -> None:
        """Until every lead is final or waits for a later attempt of its own (its assignment's
        next attempt, or its inbox row's, is due later)."""
        def quiet() -> bool:
            later = {(c, lead) for c, lead in self._rows(
                "SELECT connection, lead_id FROM assignments WHERE next_attempt_at > now() UNION "
                "SELECT connection, lead_id FROM inbox_events WHERE status = 'pending' AND available_at > now()")}
            final = {(c, lead) for c, lead, status in self._rows("SELECT connection, lead_id, status FROM assignments")
                     if status in audit.FINAL}
            return all(key in final or key in later for key in self.leads)

        self._wait(quiet, timeout, "every lead final or waiting for its next attempt")

    def _wait(self, predicate, timeout: float, what: str) -> None:
        """``wait_until``, its failure saying where the leads stand at that moment."""
        try:
            wait_until(predicate, timeout, what, every=0.5)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {self.state()}") from None

    def state(self) -> dict:
        """Where the leads stand (for a failure message): assignments by status, inbox by status."""
        return {"leads": len(self.leads),
                "assignments": dict(Counter(self._scalars("SELECT status FROM assignments"))),
                "inbox": dict(Counter(self._scalars("SELECT status FROM inbox_events")))}

    def finish(self, timeout: float) -> None:
        """The storm ends; the workers stop; two hours later one worker routes what waited."""
        self._stop_weather.set()
        calm(self.outside)
        for worker in self.workers:   # all at once: each finishes its batch meanwhile
            if worker.alive():
                worker.popen.send_signal(signal.SIGTERM)
        for worker in self.workers:
            worker.stop()
        self.clock.advance(2 * 3600)
        self.workers.append(self.product.start("worker4", "worker"))
        self._wait(lambda: set(self._scalars("SELECT status FROM assignments")) <= audit.FINAL
                   and len(self._scalars("SELECT id FROM assignments")) >= len(self.leads), timeout,
                   "every lead final after the storm")
        self.deliveries = self.outside.control("deliveries")["deliveries"]


def test_a_day_of_every_fault_at_once_loses_no_lead_and_overwrites_no_person(crm, smtp, own_postgres, chaos_scale,
                                                                            tmp_path):
    cluster, database_url = own_postgres
    started = time.monotonic()
    day = Day(crm, smtp, cluster, database_url, tmp_path, chaos_scale)
    try:
        for phase, run in (("start", day.start), ("traffic", day.traffic),
                           ("settle", lambda: day.settle(120 + 12 * chaos_scale)),
                           ("finish", lambda: day.finish(90 + 9 * chaos_scale))):
            begun = time.monotonic()
            run()
            day.figures.setdefault("phase_s", {})[phase] = round(time.monotonic() - begun, 1)
        day.people.close()
        day.log.read()
        seen = audit.look(database_url, day.outside, day.leads, day.log.entries)
    except BaseException:
        print(day.product.dump())
        raise
    finally:
        day.people.close()
        day.outside.control("hubspot/webhooks", "POST", url=None)
        day.outside.control("salesforce/outbound-url", "POST", url=None)
        day.product.kill_all()
    deliveries = [t for d in day.deliveries for t in d["attempts"]]
    faults = day.log.faults()
    day.figures.update(audit.figures(seen, day.leads), seconds=round(time.monotonic() - started),
                       crm_calls=len(day.log.entries), injected_5xx=faults["error"], injected_429=faults["burst"],
                       expired_session_401s=sum(1 for e in day.log.entries
                                                if e["vendor"] == "salesforce" and e["status"] == 401),
                       people_took=len(day.people.took), taken_after_a_failed_write=len(day.people.after_5xx),
                       deliveries=len(deliveries), duplicate_deliveries=sum(d["duplicates_sent"] for d in
                                                                            day.deliveries),
                       door_5xx=sum(1 for t in deliveries if (t["status"] or 0) >= 500 or t["error"]),
                       error_log_lines=len(day.product.bad_lines()))
    print("\n".join(["", "error lines:", *day.product.bad_lines()[:40]]))
    print("\nCHAOS: " + " ".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in day.figures.items()))
    found = audit.problems(seen, day.leads, day.people.took)
    assert found == [], "\n".join(found[:30])
    assert day.figures["injected_5xx"] > 0 and day.figures["injected_429"] > 0, day.figures
    assert day.figures["expired_session_401s"] > 0 and day.figures["killed_worker_claimed_rows"] > 0, day.figures
    assert day.figures["people_took"] > 0 and day.figures["duplicate_deliveries"] > 0, day.figures
