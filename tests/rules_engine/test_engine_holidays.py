"""Holidays: public-holiday calendars per rep and team (python-holidays) and listed days off."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from engine_helpers import config, rep, route, utc

from rules_engine import ConfigError, Status, load_config


def _one_rep(**kw):
    return config([rep("ana", **kw)], [{"name": "r", "to": "rep:ana", "on_empty": "wait"}])


@pytest.mark.parametrize("calendar,day,name", [
    ("US", (2026, 11, 26), "Thanksgiving Day"),
    ("US", (2026, 7, 3), "Independence Day (observed)"),      # 4 July 2026 is a Saturday
    ({"country": "US", "subdiv": "CA"}, (2026, 3, 31), "Cesar Chavez Day"),
    ("DE", (2026, 10, 3), "German Unity Day"),
    ({"country": "DE", "subdiv": "BY"}, (2026, 1, 6), "Epiphany"),
    ("BR", (2026, 4, 21), "Tiradentes' Day"),
    ("Brasil", (2026, 11, 20), "National Day of Zumbi and Black Awareness"),
])
def test_a_rep_is_skipped_on_a_public_holiday_of_their_calendar(calendar, day, name):
    d = route(_one_rep(holidays=calendar), now=utc(*day, 15, 0))
    assert d.status == Status.WAITING
    skipped = next(s for s in d.trace if s["step"] == "candidate")
    assert skipped["reason"] == "holiday" and name in skipped["text"]


def test_a_regional_holiday_applies_only_to_reps_of_that_region():
    bavaria = _one_rep(holidays={"country": "DE", "subdiv": "Bavaria"})
    berlin = _one_rep(holidays={"country": "DE", "subdiv": "BE"})
    epiphany = utc(2026, 1, 6, 10, 0)
    assert route(bavaria, now=epiphany).owner is None
    assert route(berlin, now=epiphany).owner == "ana"
    assert route(_one_rep(holidays="US"), now=utc(2026, 10, 3, 15, 0)).owner == "ana"  # German Unity Day


def test_the_holiday_is_the_reps_local_day():
    # 25 Dec 02:00 UTC is still 24 Dec in Los Angeles.
    cfg = _one_rep(holidays="US", timezone="America/Los_Angeles")
    assert route(cfg, now=utc(2026, 12, 25, 2, 0)).owner == "ana"
    assert route(cfg, now=utc(2026, 12, 25, 9, 0)).owner is None


def test_listed_days_off_count_as_holidays():
    cfg = _one_rep(holidays={"dates": ["2026-03-04"]})
    d = route(cfg, now=utc(2026, 3, 4, 15, 0))
    assert d.owner is None and "ana: on holiday (day off)" in d.explain()
    assert route(cfg, now=utc(2026, 3, 5, 15, 0)).owner == "ana"


def test_retry_after_is_when_the_holidays_end_and_the_rep_is_back_in_hours():
    berlin = ZoneInfo("Europe/Berlin")
    cfg = _one_rep(holidays="DE", timezone="Europe/Berlin", hours={"mon-fri": "09:00-17:00"})
    # Christmas Day and Boxing Day 2026 are Friday and Saturday: back on Monday 28 at 09:00.
    d = route(cfg, now=datetime(2026, 12, 25, 10, 0, tzinfo=berlin))
    assert d.retry_after == datetime(2026, 12, 28, 9, 0, tzinfo=berlin)
    # Outside hours on Thursday evening: the next opening (Friday) is a holiday, so Monday again.
    d = route(cfg, now=datetime(2026, 12, 24, 18, 0, tzinfo=berlin))
    assert d.retry_after == datetime(2026, 12, 28, 9, 0, tzinfo=berlin)


def test_a_team_calendar_applies_to_members_without_their_own():
    cfg = config([rep("ana"), rep("bruno", holidays="US")],
                 [{"name": "r", "to": "team:de", "on_empty": "wait"}],
                 teams=[{"id": "de", "members": ["ana", "bruno"], "holidays": "DE"}])
    d = route(cfg, now=utc(2026, 10, 3, 12, 0))  # German Unity Day, not a US holiday
    assert d.owner == "bruno"
    assert "ana: on holiday (German Unity Day, DE)" in d.explain()


def test_unknown_holiday_calendars_fail_validation_with_their_paths():
    with pytest.raises(ConfigError) as err:
        load_config(config([rep("ana", holidays="Atlantis"), rep("bruno", holidays={"country": "DE", "subdiv": "XX"})],
                           [{"name": "r", "to": "rep:ana"}],
                           teams=[{"id": "t", "members": ["ana"], "holidays": {"dates": ["not a date"]}}]))
    messages = [str(e) for e in err.value.errors]
    assert messages[0] == "reps[0].holidays.country: no public holidays known for 'Atlantis' " \
                          "(use an ISO country code such as DE or US)"
    assert messages[1].startswith("reps[1].holidays.subdiv: unknown subdivision 'XX' of DE; one of: BB, BE, BW, BY")
    assert messages[2].startswith("teams[0].holidays.dates[0]: ")
