"""Approvals through the API: a guard-refused run keeps its plan, ``POST /api/runs/{id}/approve``
applies exactly it (Okta changes, the run and audit name the approver), and a plan that
changed meanwhile is refused again and kept for a new approval."""

from __future__ import annotations

from collections.abc import Callable

from spokesync.store import open_store
from tests.web.service_kit import SERVE_TOKEN, Running, serving
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]
# The guard's floor off (default 5): in this four-member world two leavers are to be refused.
TOKEN_CONFIG = f'[serve]\ntoken = "{SERVE_TOKEN}"\n\n[policy]\ndeprovision_floor = 0\n'
BEARER = {"Authorization": f"Bearer {SERVE_TOKEN}"}


def _refused_run(world: World, svc: Running, leavers: tuple[int, ...]) -> dict[str, object]:
    """Sync four members, take the role from ``leavers``: the guard refuses (10% max)."""
    assert svc.sync()["summary"]["created"] == 4
    for n in leavers:
        world.auth0().unassign(f"auth0|u{n:05d}")
    refused = svc.sync()
    assert refused["outcome"] == "refused", refused
    return refused


def test_approving_applies_the_kept_plan_and_names_the_approver(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 5)]))
    with serving(world, extra_config=TOKEN_CONFIG, headers=BEARER) as svc:
        refused = _refused_run(world, svc, (1, 2))
        assert len(world.okta().members()) == 4
        page = svc.http.get("/").text
        assert f'id="approval-{refused["run_id"]}"' in page
        assert "Approve and apply" in page and "partners:auth0|u00001" in page
        # The group by the name the applying runs remembered, not by its id alone.
        article = page.split(f'id="approval-{refused["run_id"]}"', 1)[1].split("</article>")[0]
        assert "group Salesforce Users (00g" in article, article
        # Its row in the runs table has an Approve button too, posting to the same place.
        row = page.split('<tr class="outcome-refused">', 1)[1].split("</tr>")[0]
        assert f'action="/runs/{refused["run_id"]}/approve"' in row and ">Approve<" in row
        answer = svc.http.post(f"/api/runs/{refused['run_id']}/approve")
        assert answer.status_code == 202, answer.text
        approval = svc.wait_for_run(answer.json()["run_id"])
        assert approval["outcome"] == "succeeded", approval
        assert approval["requested_by"] == {"subject": "token"}
        assert approval["summary"]["saved_plan"] == refused["run_id"]
        assert approval["summary"]["removed_from_group"] == 2
        assert len(world.okta().members()) == 2
        # Approved once: no button for it any more, and no plan for a run that was not refused.
        assert f'id="approval-{refused["run_id"]}"' not in svc.http.get("/").text
        missing = svc.http.post(f"/api/runs/{approval['run_id']}/approve")
        assert missing.status_code == 404 and "kept no plan" in missing.json()["error"]
        # The audit trail names the approver: on the dashboard, in audit and audit --json.
        trail = svc.http.get("/audit", params={"identity": "partners:auth0|u00001"}).text
        assert '<td class="requested-by">token</td>' in trail, trail
    store = open_store(world.state_url)
    try:
        rows = [r for r in store.audit() if r.run_id == approval["run_id"]]
        assert len(rows) == 2 and all(r.requested_by == {"subject": "token"} for r in rows)
    finally:
        store.close()
    entries = world.cli("audit", "--json").json()["entries"]
    asked = [e for e in entries if e["run_id"] == approval["run_id"]]
    assert len(asked) == 2 and all(e["requested_by"] == {"subject": "token"} for e in asked)
    assert "requested by token" in world.cli("audit", "--user", "auth0|u00001").stdout


def test_a_plan_that_changed_is_not_applied_and_the_new_one_waits_for_approval(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 5)]))
    with serving(world, extra_config=TOKEN_CONFIG, headers=BEARER) as svc:
        refused = _refused_run(world, svc, (1, 2))
        world.auth0().unassign("auth0|u00003")  # a third leaver after the review
        answer = svc.http.post(f"/api/runs/{refused['run_id']}/approve")
        stale = svc.wait_for_run(answer.json()["run_id"])
        assert stale["outcome"] == "refused" and "changed" in (stale["summary"]["error"] or "")
        assert len(world.okta().members()) == 4  # nothing applied
        page = svc.http.get("/").text
        assert f'id="approval-{stale["run_id"]}"' in page
        assert f'id="approval-{refused["run_id"]}"' not in page
        again = svc.http.post(f"/api/runs/{stale['run_id']}/approve")
        assert svc.wait_for_run(again.json()["run_id"])["outcome"] == "succeeded"
        assert len(world.okta().members()) == 1


def test_approving_needs_the_approver_role_and_a_body_that_is_empty_or_json(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 3)]))
    with serving(world, extra_config=TOKEN_CONFIG) as svc:
        assert svc.http.post("/api/runs/x/approve").status_code == 401
        formed = {**BEARER, "Content-Type": "application/x-www-form-urlencoded"}
        form = svc.http.post("/api/runs/x/approve", headers=formed, content=b"a=1")
        assert form.status_code == 415
        odd = svc.http.post("/api/runs/x/approve", headers=BEARER, json={"force": True})
        assert odd.status_code == 400
