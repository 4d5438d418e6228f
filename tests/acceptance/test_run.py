"""`python app.py run` on SQLite, set up as README tells an admin (environment, `db upgrade`,
`rules import`, `users create`), against the CRM sandbox over TLS and a real SMTP server. The
process's clock is moved with libfaketime, together with the sandbox's clock, so SLA steps,
auto-pause and the digest happen in seconds. Everything is observed from outside: CRM records,
Slack messages, the SMTP inbox, the settings page and the API.

The tests of this module share one running product (module scope) and run in file order; each
uses leads of its own (a rule per scenario, chosen by the lead's company).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from tests.acceptance.conftest import (ADMIN_EMAIL, ADMIN_PASSWORD, CHANNEL, MANAGER, REPS, environment, needs_faketime,
                                       routing_config, started_run)
from tests.acceptance.harness import (Api, Browser, Crm, FakeClock, block_actions, button_ids, forms, free_port,
                                      slack_signed_post, stop_cleanly, wait_until)

pytestmark = [pytest.mark.slow, needs_faketime]

CHANNEL_ID = "C0LEADS01"  # the demo workspace's #leads
TEAM = {r[0]: r for r in REPS}
HUBSPOT_IDS = {r[2]: r[0] for r in REPS}
SALESFORCE_IDS = {r[3]: r[0] for r in REPS}
PAUSER = ("emma.schmidt", "Emma Schmidt", "61000005", "0055g0000000006AAA")  # only the auto-pause rule uses her


def scenario_config() -> dict:
    config = routing_config(reps=REPS + [PAUSER], auto_pause={"after_breaches": 2}, digest={"at": "08:00"})
    config["teams"][0]["members"] = [r[0] for r in REPS]  # the team without her
    config["teams"].append({"id": "solo", "members": [PAUSER[0]], "manager": MANAGER, "channel": CHANNEL})
    slack_everywhere = ["slack:rep", "slack:team", "email:rep"]
    config["rules"] = [
        {"name": "touch", "when": {"field": "company", "op": "contains", "value": "Touch"}, "to": "team:inbound",
         "notify": slack_everywhere, "sla": {"minutes": 10, "ladder": ["remind"]}},
        {"name": "ladder", "when": {"field": "company", "op": "contains", "value": "Ladder"}, "to": "team:inbound",
         "notify": slack_everywhere,
         "sla": {"minutes": 10, "every": 10, "ladder": ["remind", "reroute", "escalate"],
                 "escalate_to": ["slack:team", "email:manager"]}},
        {"name": "pause", "when": {"field": "company", "op": "contains", "value": "Pause"}, "to": "team:solo",
         "notify": ["slack:rep"], "sla": {"minutes": 5, "ladder": ["remind"]}},
        {"name": "dead", "when": {"field": "company", "op": "contains", "value": "Dead"}, "to": "team:inbound",
         "notify": []},
        {"name": "inbound", "to": "team:inbound", "pick": "round_robin", "notify": slack_everywhere},
    ]
    return config


class Running:
    def __init__(self, product, process, clock: FakeClock, crm) -> None:
        self.product, self.process, self.clock, self.crm = product, process, clock, crm
        self.url = process.url
        self.browser = Browser(self.url)
        self.browser.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.api = Api(self.url, self.browser.new_api_token())

    def assignments(self, lead_id: str) -> list[dict]:
        return [item for item in self.api.log(q=lead_id) if item["lead_id"] == lead_id]

    def wait_status(self, lead_id: str, *statuses: str, timeout: float = 30) -> dict:
        def found():
            rows = self.assignments(lead_id)
            return next((r for r in rows if r["status"] in statuses), None)
        return wait_until(found, timeout, f"lead {lead_id} {statuses}")


@pytest.fixture(scope="module")
def running(crm, crm_control, smtp, tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    port = free_port()
    # Start on a fixed morning, before the 08:00 digest: tomorrow 07:40 UTC.
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=7, minute=40, second=0, microsecond=0)
    crm_control.reset()
    crm_control.configure_deliveries(delay_factor=0.01)
    clock = FakeClock(folder, crm, start_offset=(tomorrow - datetime.now(timezone.utc)).total_seconds())
    env = environment(crm, smtp, folder, port, f"sqlite:///{folder / 'leadrouter.db'}",
                      LEADROUTER_WRITE_MAX_ATTEMPTS="2", LEADROUTER_POLL_INTERVAL_SECONDS="5", **clock.env())
    with started_run(crm_control, crm, folder, env, scenario_config(), port) as (product, process):
        running = Running(product, process, clock, crm)
        running.outside = Crm(crm)
        yield running


@pytest.fixture
def live(running, crm_control):
    """Per test: the running product (the sandbox is reset once per module: a CRM never reuses
    record ids, a reset one would); afterwards no traceback or ERROR line in its log."""
    yield running
    crm_control.clear_faults()
    running.product.assert_clean_logs()


def rep_slack_user(outside: Crm, rep_id: str) -> dict:
    email = f"{rep_id}@demo.leadrouter.dev"
    return next(u for u in outside.slack_users() if (u.get("profile") or {}).get("email") == email)


def dm_channel(outside: Crm, user_id: str) -> str:
    answer = outside.http.post(f"{outside.url}/api/conversations.open", data={"users": user_id},
                               headers={"Authorization": "Bearer xoxb-sandbox"}, timeout=10).json()
    assert answer["ok"], answer
    return answer["channel"]["id"]


def messages_about(outside: Crm, text: str, channel: str | None = None) -> list[dict]:
    return [m for m in outside.slack_messages(channel) if text in (m["message"].get("text") or "")]


def owner_rep(live, vendor: str, lead_id: str) -> str | None:
    owner = live.outside.contact_owner(lead_id) if vendor == "hubspot" else live.outside.sf_owner(lead_id)
    return (HUBSPOT_IDS if vendor == "hubspot" else SALESFORCE_IDS).get(owner or "")


# -- 1. routed, written back, logged with the trace ----------------------------------------------
def test_hubspot_contacts_and_salesforce_leads_are_routed_written_back_and_logged_with_their_trace(live):
    outside = live.outside
    contact = outside.create_contact("hubroute")
    lead = outside.create_sf_lead("sfroute")
    hubspot_rep = wait_until(lambda: owner_rep(live, "hubspot", contact), 30, "the HubSpot owner written")
    salesforce_rep = wait_until(lambda: owner_rep(live, "salesforce", lead), 30, "the Salesforce owner written")
    assert {hubspot_rep, salesforce_rep} <= set(TEAM)

    for vendor, lead_id, rep in (("hubspot", contact, hubspot_rep), ("salesforce", lead, salesforce_rep)):
        row = live.wait_status(lead_id, "written", "notified")
        assert row["connection"] == vendor and row["rep_id"] == rep and row["rule"] == "inbound"
        picks = [step for step in row["trace"] if step.get("step") == "pick"]
        assert picks and picks[0]["rep"] == rep and picks[0]["text"].startswith("round_robin:")
        page = live.browser.get(f"/settings/log/{row['id']}").text
        assert lead_id in page and "decision trace" in page and picks[0]["text"].split(":")[0] in page
        assert rep in page
    log_page = live.browser.get("/settings/log/").text
    assert contact in log_page and lead in log_page
    # The write-back went through the CRMs' own APIs.
    assert any(r["path"].startswith("/crm/v3/objects/contacts/batch/update") for r in outside.requests_log("hubspot"))


# -- 2. notifications: a DM with Accept / Pass, a channel post, an email ---------------------------
def test_every_written_lead_is_told_in_a_slack_dm_with_buttons_a_channel_post_and_an_email(live, smtp):
    outside = live.outside
    contact = outside.create_contact("hubnotify")
    lead = outside.create_sf_lead("sfnotify")
    for vendor, lead_id, tag in (("hubspot", contact, "Hubnotify"), ("salesforce", lead, "Sfnotify")):
        rep = wait_until(lambda: owner_rep(live, vendor, lead_id), 30, f"the {vendor} owner written")
        title = f"{tag} Prospect"
        dm = dm_channel(outside, rep_slack_user(outside, rep)["id"])
        [direct] = wait_until(lambda: messages_about(outside, title, dm), 30, f"the DM to {rep} about {title}")
        assert {"lead_accept", "lead_pass"} <= button_ids(direct)
        wait_until(lambda: messages_about(outside, title, CHANNEL_ID), 30, f"the {CHANNEL} post about {title}")
        mails = wait_until(lambda: [m for m in smtp.to(f"{rep}@demo.leadrouter.dev")
                                    if title in str(m["message"]["Subject"])], 30, f"the email to {rep}")
        assert len(mails) == 1 and mails[0]["tls"] and mails[0]["auth"]
        assert mails[0]["from"] == "leadrouter@demo.leadrouter.dev"
        body = mails[0]["message"].get_body(("plain",)).get_content()
        assert "/notify/accept/" in body
        assert live.wait_status(lead_id, "notified")["status"] == "notified"


# -- 3. Accept stops the SLA clock; Pass re-routes and writes the new owner -----------------------
def test_a_signed_accept_stops_the_sla_clock_and_pass_reroutes_to_another_rep(live):
    outside = live.outside
    accepted = outside.create_contact("touchaccept", company="Touch Accept Inc")
    passed = outside.create_contact("touchpass", company="Touch Pass Inc")
    first = {}
    for contact, title in ((accepted, "Touchaccept Prospect"), (passed, "Touchpass Prospect")):
        rep = wait_until(lambda: owner_rep(live, "hubspot", contact), 30, "the owner written")
        user = rep_slack_user(outside, rep)
        [dm] = wait_until(lambda: messages_about(outside, title, dm_channel(outside, user["id"])), 30, "the DM")
        first[contact] = (rep, user, dm)

    rep, user, dm = first[accepted]
    answer = slack_signed_post(live.url, block_actions(dm, "lead_accept", user), secret=Crm.SLACK_SECRET,
                               timestamp=int(live.clock.now()))
    assert answer.status_code == 200, answer.text
    rep, user, dm = first[passed]
    answer = slack_signed_post(live.url, block_actions(dm, "lead_pass", user), secret=Crm.SLACK_SECRET,
                               timestamp=int(live.clock.now()))
    assert answer.status_code == 200, answer.text
    new_rep = wait_until(lambda: (r := owner_rep(live, "hubspot", passed)) not in (None, rep) and r, 30,
                         "the pass re-routed and the new owner written in HubSpot")
    assert new_rep in TEAM
    new_user = rep_slack_user(outside, new_rep)
    wait_until(lambda: messages_about(outside, "Touchpass Prospect", dm_channel(outside, new_user["id"])), 30,
               "the new owner's DM")
    # An unsigned (or wrongly signed) click changes nothing.
    forged = slack_signed_post(live.url, block_actions(dm, "lead_accept", user), secret="not-the-secret",
                               timestamp=int(live.clock.now()))
    assert forged.status_code in (401, 403)

    live.clock.advance(11 * 60)  # past the 10-minute SLA of both
    wait_until(lambda: messages_about(outside, "Reminder: Touchpass Prospect"), 30,
               "the reminder of the passed lead (not accepted)")
    time.sleep(5)  # two more SLA checks
    assert not messages_about(outside, "Reminder: Touchaccept Prospect"), "an accepted lead was reminded"
    assert owner_rep(live, "hubspot", accepted) == first[accepted][0]


# -- 3b. a first activity logged in the CRM stops the SLA clock (outcome sync) --------------------
def test_a_first_activity_logged_in_the_crm_stops_the_sla_clock(live):
    outside = live.outside
    touched = outside.create_contact("touchcrm", company="Touch Crm Inc")
    idle = outside.create_contact("touchidle", company="Touch Idle Inc")
    for contact in (touched, idle):
        wait_until(lambda: owner_rep(live, "hubspot", contact), 30, "the owner written")
    called = datetime.fromtimestamp(live.clock.now(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    outside.hubspot("PATCH", f"/crm/v3/objects/contacts/{touched}", properties={"notes_last_contacted": called})
    # The outcome sync reads the CRM once per poll interval (5 s here, real time).
    row = live.wait_status(touched, "written", "notified")
    wait_until(lambda: "first_touch" in {e["status"] for e in live.api.get(f"/log/{row['id']}")["events"]}, 30,
               "the first touch read back from HubSpot")
    live.clock.advance(10 * 60)
    wait_until(lambda: messages_about(outside, "Reminder: Touchidle Prospect"), 30, "the untouched lead's reminder")
    time.sleep(5)
    assert not messages_about(outside, "Reminder: Touchcrm Prospect"), "a lead touched in the CRM was reminded"


# -- 4. the SLA ladder: remind -> reroute -> escalate ---------------------------------------------
def test_an_untouched_lead_walks_remind_reroute_escalate_in_the_running_process(live, smtp):
    outside = live.outside
    contact = outside.create_contact("ladder", company="Ladder Inc")
    title = "Ladder Prospect"
    rep = wait_until(lambda: owner_rep(live, "hubspot", contact), 30, "the owner written")
    dm = dm_channel(outside, rep_slack_user(outside, rep)["id"])
    wait_until(lambda: messages_about(outside, title, dm), 30, "the DM")

    live.clock.advance(11 * 60)
    wait_until(lambda: messages_about(outside, f"Reminder: {title}", dm), 30, "step 1: the reminder to the rep")
    assert owner_rep(live, "hubspot", contact) == rep

    live.clock.advance(10 * 60)
    second = wait_until(lambda: (r := owner_rep(live, "hubspot", contact)) not in (None, rep) and r, 30,
                        "step 2: re-routed, the new owner written in HubSpot")
    wait_until(lambda: messages_about(outside, title, dm_channel(outside, rep_slack_user(outside, second)["id"])),
               30, "the new owner's DM")
    assert not messages_about(outside, f"SLA breach: {title}")

    live.clock.advance(11 * 60)  # the new owner's fresh 10 minutes run out: the next step
    wait_until(lambda: messages_about(outside, f"SLA breach: {title}", CHANNEL_ID), 30, "step 3: escalated to #leads")
    wait_until(lambda: [s for s in smtp.subjects(MANAGER) if s.startswith(f"SLA breach: {title}")], 30,
               "step 3: the manager's email")
    assert owner_rep(live, "hubspot", contact) == second
    events = live.api.get(f"/log/{live.wait_status(contact, 'notified', 'written')['id']}")
    assert events["rep_id"] == second


# -- 5. auto-pause after K breaches ----------------------------------------------------------------
def test_a_rep_is_paused_after_k_breached_leads_in_a_row(live, smtp):
    outside = live.outside
    leads = [outside.create_contact(f"pause{n}", company=f"Pause {n} Inc") for n in range(2)]
    for contact in leads:
        assert wait_until(lambda: owner_rep(live, "hubspot", contact) or
                          (outside.contact_owner(contact) == PAUSER[2] and PAUSER[0]), 30, "owner") == PAUSER[0]
    roster = {r["id"]: r for r in live.api.get("/roster")["items"]}
    assert roster[PAUSER[0]]["paused"] is False

    live.clock.advance(6 * 60)
    wait_until(lambda: [s for s in smtp.subjects(MANAGER) if s.startswith(f"{PAUSER[1]} is paused")], 30,
               "the manager told of the pause")
    wait_until(lambda: messages_about(outside, f"{PAUSER[1]} was paused", CHANNEL_ID), 30, "the channel told")
    roster = {r["id"]: r for r in live.api.get("/roster")["items"]}
    assert roster[PAUSER[0]]["paused"] is True
    assert "paused" in live.browser.get("/settings/roster/").text

    # A paused rep gets nothing: her rule is empty, the next rule (the team) takes the lead.
    later = outside.create_contact("pause9", company="Pause 9 Inc")
    assert wait_until(lambda: owner_rep(live, "hubspot", later), 30, "the next lead routed") in TEAM
    row = live.wait_status(later, "written", "notified")
    assert row["rule"] == "inbound" and any(step.get("rep") == PAUSER[0] and step.get("reason") == "paused"
                                            for step in row["trace"]), row["trace"]


# -- 6. a dead letter retried from the settings page -----------------------------------------------
def test_a_dead_letter_is_retried_from_the_settings_page_and_then_routes(live):
    outside, faults = live.outside, live.crm.sandbox.faults
    fault = faults.add_error(500, vendor="hubspot", method="POST", path="/crm/v3/objects/contacts/batch/update")
    contact = outside.create_contact("deadletter", company="Dead Letter Inc")
    wait_until(lambda: any(r["attempts"] >= 1 and r["last_error"] for r in live.assignments(contact)), 30,
               "the first write attempt failed")
    live.clock.advance(120)  # past the backoff before the last (2nd) attempt
    dead = live.wait_status(contact, "dead", timeout=45)
    assert outside.contact_owner(contact) in (None, "")
    faults.remove(fault.id)

    page = live.browser.get("/settings/log/dead").text
    assert contact in page
    [retry] = [f for f in forms(page) if f["action"] and f["action"].endswith(f"/{dead['id']}/retry")]
    assert "csrf_token" in retry["fields"] and retry["buttons"] == [f"Retry {contact}"]
    answer = live.browser.submit("/settings/log/dead", retry)
    assert answer.status_code == 200, answer.text[:500]
    rep = wait_until(lambda: owner_rep(live, "hubspot", contact), 45, "the owner written after the retry")
    assert rep in TEAM
    assert contact not in live.browser.get("/settings/log/dead").text


# -- 7. the digest, once, after its hour ------------------------------------------------------------
def test_the_daily_digest_is_sent_once_after_its_hour(live, smtp):
    outside = live.outside
    now = datetime.fromtimestamp(live.clock.now(), timezone.utc)
    day = now.date().isoformat()
    digests = lambda: [s for s in smtp.subjects(MANAGER) if s.startswith("Lead routing digest for inbound")]  # noqa: E731
    before = len(digests())
    # Tomorrow 08:01: the digest of today (the leads routed by the tests above).
    target = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), timezone.utc) + timedelta(hours=8,
                                                                                                           minutes=1)
    live.clock.advance((target - now).total_seconds())
    wait_until(lambda: len(digests()) > before, 90, "the digest email to the manager")
    [mail] = [m for m in smtp.to(MANAGER) if str(m["message"]["Subject"]).startswith("Lead routing digest for inbound")
              and day in str(m["message"]["Subject"])]
    sent = parsedate_to_datetime(mail["message"]["Date"])
    assert (sent if sent.tzinfo else sent.replace(tzinfo=timezone.utc)) >= target - timedelta(minutes=1)
    channel_digests = wait_until(lambda: [m for m in outside.slack_messages(CHANNEL_ID)
                                          if (m["message"].get("text") or "").startswith("Daily lead routing digest")],
                                 30, "the digest in #leads")
    assert any(re.search(r"[1-9]\d* leads routed", m["message"]["text"]) for m in channel_digests)
    count, posts = len(digests()), len(channel_digests)
    live.clock.advance(10 * 60)  # later that morning: the digest check runs again, and must not resend
    time.sleep(6)
    assert len(digests()) == count == before + 1
    assert len([m for m in outside.slack_messages(CHANNEL_ID)
                if (m["message"].get("text") or "").startswith("Daily lead routing digest")]) == posts


# -- 8. the wall clock steps back (NTP, a resumed VM): the scheduled jobs keep running ------------
def test_a_wall_clock_step_backwards_does_not_stop_the_scheduled_jobs(live):
    outside = live.outside
    live.clock.advance(-2 * 3600)  # the product's clock and the CRM's, two hours back
    contact = outside.create_contact("clockstep", company="Clock Step Inc")
    rep = wait_until(lambda: owner_rep(live, "hubspot", contact), 30, "the owner written")
    user = rep_slack_user(outside, rep)
    # The DM is the outbox job's work: a scheduler asleep until a wake-up computed before the step
    # (two hours away now) would never send it.
    wait_until(lambda: messages_about(outside, "Clockstep Prospect", dm_channel(outside, user["id"])), 30,
               "the DM after the clock stepped back")


def test_the_process_stops_cleanly_on_sigterm(running):
    stop_cleanly(running.product)
