"""The benchmarks run and report the figures their issues name (small sizes: this is not a
timing test; the numbers themselves are read from `python app.py bench`)."""

from __future__ import annotations


def test_engine_benchmark_reports_its_figures():
    from bench import engine

    result = engine.main(n_leads=300, n_naive=5, naive_budget_s=0.5, n_accounts=2000)
    for key in ("decisions_per_s", "p99_us"):
        assert result[key] > 0 and result["naive"][key] > 0
    matching = result["account_matching"]
    assert matching["accounts"] == 2000 and matching["decisions_per_s"] > 0
    assert 0.2 < matching["account_rule_share"] < 0.7   # owners found for half the leads; some are off


def test_pipeline_benchmark_routes_every_lead_and_counts_crm_calls():
    from bench import pipeline

    result = pipeline.main(door_requests=20, leads=150)
    assert result["door"]["requests"] == 20 and result["door"]["p99_ms"] > 0
    assert result["routing"]["written"] == 150
    assert 0 < result["routing"]["crm_calls"] < 30
