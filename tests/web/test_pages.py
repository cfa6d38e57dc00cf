"""The dashboard as the on-call person reads it, after real runs against the emulators: live
mode's positions, lag and last poll; the leader; the next scheduled run; refused runs marked
apart from failed ones; the audit trail in words (``firstName: User1 → Zoë``, group names).

The Auth0 and Okta behaviour is the emulators' (recordings first, then the official specs);
what is under test is what the pages make of the state spokesync recorded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

from croniter import croniter

from spokesync.store.base import RunRecord
from spokesync.web.chart import run_chart
from tests.web.service_kit import serving
from tests.web.test_live_service import LIVE, SCOPES, polls, wait_for
from tests.world_kit import GROUP, GROUP_NAME, World, auth0_user, seed

WorldFactory = Callable[..., World]
# The floor off: this small world's 3 removals of 11 are to be refused.
GUARDED = '[policy]\nmax_deprovision = "10%"\ndeprovision_floor = 0\n'


def _text(page: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (tags dropped, entities and spaces undone)."""
    match = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', page, re.DOTALL)
    assert match, f"no #{element_id} on the page"
    inline = re.sub(r"</?(span|code|strong|a)\b[^>]*>", "", match.group(2))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_the_on_call_panels_after_live_polls(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2, roles=())], client_scopes=SCOPES))
    world.write_config(LIVE)
    world.sync()
    with serving(world, extra_config=LIVE, live=True) as svc:
        page = svc.http.get("/").text  # before the first poll: positions not read yet, or read
        assert "Live mode" in _text(page, "live")
        # A first start begins at the newest entry (live.poller): a change made before the
        # first poll is the scheduled reconcile's, so the join waits for that poll.
        wait_for("the first poll", lambda: polls(svc, "idle") >= 1)
        world.auth0().assign("auth0|u00002")
        wait_for("the join", lambda: "user2@partner.example" in world.okta().members())
        wait_for("the live run counted", lambda: polls(svc, "targeted") >= 1)
        live = _text(svc.http.get("/").text, "live")
        status = svc.http.get("/api/status").json()["live"]
    # Positions per source, as `status --json` has them: the Auth0 log_id whole, the Okta
    # System Log's next link by its "after" value (both move with every poll that reads).
    assert re.fullmatch(r"\d{20,}", status["cursors"]["auth0:partners:logs"])
    assert re.search(r"Auth0 tenant log of partners \d{20,} ", live), live
    assert "after=" in status["cursors"]["okta:logs"]
    assert re.search(r"Okta System Log after=\w+ ", live), live
    assert "not read yet" not in live
    assert re.search(r"Lag \d+ (s|min)", live), live
    assert re.search(r"Last poll: \d+ s ago, (idle|targeted)", live), live
    assert "Last fallback to a full reconcile: none" in live


def test_leader_and_next_scheduled_run(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world, failover_seconds=5) as svc:  # leads through the state database
        page = svc.http.get("/").text
        owner = svc.service.store.leader()
    assert owner is not None
    leader = _text(page, "leadership")
    assert f"{owner.owner} leads since {owner.since[:19].replace('T', ' ')} UTC" in leader
    assert "(this process)" in leader and "Standbys are not recorded" in leader
    schedule = _text(page, "schedule")
    due = croniter("0 3 * * *", datetime.now(UTC)).get_next(datetime)
    assert "Schedule 0 3 * * * (cron, UTC)" in schedule
    assert re.search(rf"{due:%Y-%m-%d} 03:00 UTC, in \d+ (h|min)", schedule), schedule
    assert "Off: runs follow the schedule only" in _text(page, "live")


def test_refused_runs_are_marked_apart_and_the_audit_reads_in_words(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 13)]))
    with serving(world, extra_config=GUARDED) as svc:
        assert svc.sync()["outcome"] == "succeeded"
        admin = world.auth0()
        admin.patch("auth0|u00001", {"given_name": "Zoë", "user_metadata": {"firstName": "Zoë"}})
        admin.unassign("auth0|u00002")  # 1 of 12: under the guard's 10%
        assert svc.sync()["outcome"] == "succeeded"
        for n in (3, 4, 5):  # 3 of 11: the guard refuses
            admin.unassign(f"auth0|u0000{n}")
        refused = svc.sync()
        assert refused["outcome"] == "refused"
        page = svc.http.get("/").text
        trail_1 = svc.http.get("/audit", params={"identity": "partners:auth0|u00001"}).text
        trail_2 = svc.http.get("/audit", params={"identity": "user2@partner.example"}).text
    assert "user3@partner.example" in world.okta().members()  # refused: nothing applied
    # The table: the refused run has its own badge and says why, in the refusal's colour.
    row = re.search(rf'<tr class="outcome-refused">.*?{refused["run_id"]}.*?</tr>', page, re.S)
    assert row, page
    assert "refused by a guard" in row.group(0) and 'class="refusal"' in row.group(0)
    assert "deprovisioning guard" in row.group(0) and 'class="error"' not in row.group(0)
    assert "nothing applied" in row.group(0)
    # The chart: one outcome mark per run, the refused one apart.
    marks = re.findall(r'class="mark mark-(\w+)"', page)
    assert marks == ["succeeded", "succeeded", "refused"]
    assert "refused by a guard (nothing applied)" in page
    # The audit trail: field: old → new, and the group by its name.
    audit_1 = _text(trail_1, "audit")
    assert "firstName: User1 → Zoë" in audit_1
    assert "login: user1@partner.example" in audit_1  # set at creation
    assert '"' not in audit_1 and "{" not in audit_1  # no JSON dumps
    audit_2 = _text(trail_2, "audit")
    assert f"group: {GROUP_NAME} ({GROUP}) → (none)" in audit_2
    assert "group_id" not in audit_2 and "member" not in audit_2
    assert "remove_from_group" in audit_2


def test_failed_and_refused_runs_get_different_marks() -> None:
    def run(n: int, outcome: str | None, **summary: object) -> RunRecord:
        started = f"2026-12-01T0{n}:00:00.000Z"
        return RunRecord(f"run{n}", "sync", started, started, outcome, dict(summary))

    chart = run_chart(
        [
            run(4, None),
            run(3, "refused"),
            run(2, "failed", error="Okta unreachable"),
            run(1, "partial", failed=2),
        ]
    )
    assert chart is not None
    assert [m.outcome for m in chart.outcomes] == ["partial", "failed", "refused", "other"]
    titles = [m.title for m in chart.outcomes]
    assert titles[1].endswith("failed") and titles[2].endswith(
        "refused by a guard (nothing applied)"
    )
    assert len({(m.y, m.height) for m in chart.outcomes}) == 1  # one strip under the axis
    assert all(m.y > chart.plot_bottom for m in chart.outcomes)


def test_the_search_example_names_a_configured_source(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world) as svc:
        page = svc.http.get("/").text
        missing = svc.http.get("/audit", params={"identity": "nobody"}).text
        placeholder = re.search(r'id="identity"[^>]* placeholder="([^"]+)"', page)
        assert placeholder and placeholder.group(1) == "partners:auth0|123 or login"
        assert "e.g. <code>partners:auth0|123</code>" in missing
        # Another config's source name is the one shown.
        svc.service.config.sources["apac"] = svc.service.config.sources.pop("partners")
        page = svc.http.get("/").text
    assert 'placeholder="apac:auth0|123 or login"' in page
