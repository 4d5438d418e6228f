"""GET /metrics: Prometheus' text format, read from the database (every process answers the
same), behind a bearer token or loopback only."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families


def scrape(url: str, **headers: str) -> dict[str, dict[tuple, float]]:
    response = requests.get(f"{url}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


def test_counters_move_as_leads_are_routed(routed):
    before = scrape(routed.url)
    routed.create_leads("hubspot", 3)
    routed.wait_for_inbox(3)
    assert value(scrape(routed.url), "leadrouter_inbox_pending", connection="hubspot") == 3
    assert routed.drain().written == 3

    after = scrape(routed.url)
    for status in ("received", "decided", "written"):
        grown = (value(after, "leadrouter_leads_total", connection="hubspot", status=status)
                 - value(before, "leadrouter_leads_total", connection="hubspot", status=status))
        assert grown == 3, status
    assert value(after, "leadrouter_time_to_assign_seconds_count", connection="hubspot") == 3
    assert value(after, "leadrouter_time_to_assign_seconds_bucket", connection="hubspot", le="+Inf") == 3
    # Decision times are counted per process (TALLY) and added to the database at each scrape, so
    # earlier tests' decisions in this process are already in ``before``: compare the growth.
    assert (value(after, "leadrouter_decision_seconds_count", connection="hubspot")
            - value(before, "leadrouter_decision_seconds_count", connection="hubspot")) == 3
    assert (value(after, "leadrouter_decision_seconds_sum", connection="hubspot")
            > value(before, "leadrouter_decision_seconds_sum", connection="hubspot"))
    assert value(after, "leadrouter_inbox_pending", connection="hubspot") == 0
    assert (value(after, "leadrouter_crm_requests_total", connection="hubspot", outcome="ok")
            > value(before, "leadrouter_crm_requests_total", connection="hubspot", outcome="ok"))


def test_histogram_buckets_are_cumulative(routed):
    routed.create_leads("salesforce", 2)
    routed.wait_for_inbox(2)
    assert routed.drain().written == 2
    buckets = {dict(labels)["le"]: v for labels, v in scrape(routed.url)["leadrouter_time_to_assign_seconds_bucket"].items()
               if dict(labels)["connection"] == "salesforce"}
    ordered = sorted(buckets.items(), key=lambda kv: float(kv[0]))
    assert [v for _, v in ordered] == sorted(v for _, v in ordered) and ordered[-1] == ("+Inf", 2.0)


def test_a_token_is_required_once_set(make_app, sqlite_url):
    client = make_app(sqlite_url, LEADROUTER_METRICS_TOKEN="s3cret-scrape").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert answer.status_code == 200 and b"leadrouter_inbox_pending" in answer.data


def test_without_a_token_only_direct_loopback_clients_are_answered(make_app, sqlite_url):
    client = make_app(sqlite_url).test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert refused.status_code == 403 and b"LEADROUTER_METRICS_TOKEN" in refused.data
    proxied = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                         headers={"X-Forwarded-For": "198.51.100.7"})
    assert proxied.status_code == 403
