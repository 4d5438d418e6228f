"""The ingest benchmark's load, a process of its own (``python -m bench.load``): ``--clients``
threads, each on one keep-alive connection, POST signed HubSpot webhook requests of ``--events``
contact.creation events (every lead id new) to the door, until ``--seconds`` have passed or
``--requests`` are sent. Prints one JSON object: what was sent, what the door accepted, answer
times."""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

from bench.hooks import PATH, creation_events, signed


def _client(args, numbers, deadline: float, out: dict, lock: threading.Lock) -> None:
    where = urlsplit(args.url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    while time.monotonic() < deadline and (n := next(numbers)) < args.requests:
        first = args.first_id + n * args.events
        body, headers = signed(args.url, args.secret, creation_events(
            list(range(first, first + args.events)), args.portal_id, first))
        start = time.perf_counter()
        try:
            conn.request("POST", PATH, body, headers)
            answer = conn.getresponse()
            answer.read()
            status = answer.status
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
            status = type(exc).__name__
        with lock:
            out["latencies"].append((time.perf_counter() - start) * 1000)
            out["statuses"][str(status)] += 1
    conn.close()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--url", required=True, help="The app's base URL (LEADROUTER_BASE_URL).")
    parser.add_argument("--secret", required=True, help="The HubSpot app secret.")
    parser.add_argument("--portal-id", type=int, required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10, help="Events per request (HubSpot sends up to 100).")
    parser.add_argument("--first-id", type=int, default=1)
    args = parser.parse_args(argv)
    out: dict = {"latencies": [], "statuses": Counter()}
    lock, numbers = threading.Lock(), itertools.count()
    start = time.monotonic()
    threads = [threading.Thread(target=_client, args=(args, numbers, start + args.seconds, out, lock))
               for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    accepted = out["statuses"].get("200", 0) + out["statuses"].get("204", 0)
    latencies = sorted(out["latencies"])
    result = {"requests": len(latencies), "accepted_requests": accepted, "events_per_request": args.events,
              "accepted_events": accepted * args.events, "seconds": round(elapsed, 2),
              "statuses": dict(out["statuses"]), "latencies_ms": latencies}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
