"""At-least-once webhook / outbound-message delivery (part of the core; see sandbox.core).

Both Salesforce outbound messages and HubSpot webhooks are retried by the vendor until the
receiver acknowledges, with growing intervals (Salesforce: up to 2 h apart for 24 h; HubSpot:
10 attempts over 24 h), and may arrive twice or out of order. Delays are real seconds multiplied
by `delay_factor` so a test can set 0.001 and watch a whole retry schedule in milliseconds.
"""
from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable

import requests

# Seconds between attempt n and n+1; the last value repeats. Roughly the vendors' schedules.
DEFAULT_DELAYS: tuple[float, ...] = (1, 5, 15, 60, 300, 900, 1800, 3600, 7200)

Headers = dict | Callable[[int], dict]
Body = bytes | Callable[[int], bytes]


class DeliveryStatus(str, Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"          # max_attempts used up without an acknowledgement
    CANCELLED = "cancelled"    # dropped by reset


def _is_2xx(response: requests.Response) -> bool:
    return 200 <= response.status_code < 300


@dataclass
class Delivery:
    id: int
    url: str
    body: Body
    headers: Headers
    max_attempts: int
    is_ack: Callable[[requests.Response], bool]
    vendor: str | None = None
    label: str | None = None
    delays: tuple[float, ...] = DEFAULT_DELAYS
    verify: bool | str = True
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: list[dict] = field(default_factory=list)
    duplicates_sent: int = 0
    generation: int = 0

    def to_dict(self) -> dict:
        return {"id": self.id, "url": self.url, "vendor": self.vendor, "label": self.label,
                "status": self.status.value, "max_attempts": self.max_attempts,
                "attempts": list(self.attempts), "duplicates_sent": self.duplicates_sent}


class Deliveries:
    def __init__(self, clock: Any, *, workers: int = 2, timeout: float = 5.0) -> None:
        self._clock = clock
        self._workers = workers
        self.timeout = timeout   # HubSpot counts a reply slower than 5 s as a failure
        self.delay_factor = 1.0
        self.duplicate_rate = 0.0
        self.reorder_ms = 0.0
        self._random = random.Random()
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Delivery, bool]] = []
        self._all: dict[int, Delivery] = {}
        self._ids = itertools.count(1)
        self._seq = itertools.count()
        self._in_flight = 0
        self._generation = 0
        self._threads: list[threading.Thread] = []
        self._stopping = False

    def configure(self, *, delay_factor: float | None = None, duplicate_rate: float | None = None,
                  reorder_ms: float | None = None, seed: int | None = None) -> dict:
        with self._cond:
            if delay_factor is not None:
                self.delay_factor = max(0.0, float(delay_factor))
            if duplicate_rate is not None:
                self.duplicate_rate = min(1.0, max(0.0, float(duplicate_rate)))
            if reorder_ms is not None:
                self.reorder_ms = max(0.0, float(reorder_ms))
            if seed is not None:
                self._random.seed(seed)
            return self.settings()

    def settings(self) -> dict:
        return {"delay_factor": self.delay_factor, "duplicate_rate": self.duplicate_rate,
                "reorder_ms": self.reorder_ms, "timeout": self.timeout}

    def deliver(self, url: str, body: Body, headers: Headers, *, max_attempts: int = 10,
                is_ack: Callable[[requests.Response], bool] | None = None,
                vendor: str | None = None, label: str | None = None,
                delays: tuple[float, ...] | None = None, verify: bool | str = True) -> Delivery:
        with self._cond:
            delivery = Delivery(id=next(self._ids), url=url, body=body, headers=headers,
                                max_attempts=max_attempts, is_ack=is_ack or _is_2xx,
                                vendor=vendor, label=label, delays=delays or DEFAULT_DELAYS,
                                verify=verify, generation=self._generation)
            self._all[delivery.id] = delivery
            # Reordering: each message waits a random head start, so later ones may overtake.
            head_start = self._random.uniform(0, self.reorder_ms) / 1000.0 if self.reorder_ms else 0
            self._push(time.monotonic() + head_start, delivery, duplicate=False)
            self._ensure_workers()
        return delivery

    def list(self, vendor: str | None = None) -> list[dict]:
        with self._cond:
            return [d.to_dict() for d in self._all.values() if vendor in (None, d.vendor)]

    def get(self, delivery_id: int) -> Delivery | None:
        return self._all.get(delivery_id)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or in flight (True) or the timeout passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def clear(self) -> None:
        with self._cond:
            self._generation += 1
            for _, _, delivery, _ in self._heap:
                delivery.status = DeliveryStatus.CANCELLED
            self._heap.clear()
            self._all.clear()
            self.delay_factor, self.duplicate_rate, self.reorder_ms = 1.0, 0.0, 0.0
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=2)

    # -- workers ---------------------------------------------------------------------------
    def _push(self, due: float, delivery: Delivery, duplicate: bool) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), delivery, duplicate))
        self._cond.notify_all()

    def _ensure_workers(self) -> None:
        while len(self._threads) < self._workers:
            thread = threading.Thread(target=self._run, name=f"sandbox-delivery-{len(self._threads)}",
                                      daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self) -> None:
        session = requests.Session()
        session.trust_env = False  # a delivery goes to the URL given, never through a proxy
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopping:
                    return
                _, _, delivery, duplicate = heapq.heappop(self._heap)
                self._in_flight += 1
            try:
                self._attempt(session, delivery, duplicate)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _attempt(self, session: requests.Session, delivery: Delivery, duplicate: bool) -> None:
        number = len(delivery.attempts) + 1
        body = delivery.body(number) if callable(delivery.body) else delivery.body
        headers = delivery.headers(number) if callable(delivery.headers) else delivery.headers
        record: dict[str, Any] = {"attempt": number, "time": self._clock.now().isoformat(),
                                  "status": None, "error": None, "acked": False,
                                  "duplicate": duplicate}
        try:
            response = session.post(delivery.url, data=body, headers=headers,
                                    timeout=self.timeout, verify=delivery.verify)
            record["status"] = response.status_code
            record["acked"] = bool(delivery.is_ack(response))
        except (requests.RequestException, ValueError) as exc:  # ValueError: unparsable ack
            record["error"] = f"{type(exc).__name__}: {exc}"
        with self._cond:
            if delivery.generation != self._generation:
                return  # reset while in flight: forget it
            delivery.attempts.append(record)
            if duplicate:
                delivery.duplicates_sent += 1
                return
            if record["acked"]:
                delivery.status = DeliveryStatus.DELIVERED
                if self.duplicate_rate and self._random.random() < self.duplicate_rate:
                    self._push(time.monotonic() + self._delay(delivery, number), delivery, True)
            elif number >= delivery.max_attempts:
                delivery.status = DeliveryStatus.FAILED
            else:
                self._push(time.monotonic() + self._delay(delivery, number), delivery, False)

    def _delay(self, delivery: Delivery, number: int) -> float:
        delays = delivery.delays
        return delays[min(number - 1, len(delays) - 1)] * self.delay_factor


__all__ = ["Deliveries", "Delivery", "DeliveryStatus", "DEFAULT_DELAYS"]
