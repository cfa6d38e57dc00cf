"""The service's machine endpoints against real runs on the emulators: probes, status, runs,
and the Prometheus metrics those runs leave (names and label sets from DESIGN.md "Service")."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from spokesync.run_queue import NotLeader
from tests.web.service_kit import serving
from tests.world_kit import OKTA_TOKEN, World, auth0_user, seed

WorldFactory = Callable[..., World]


class Standby:
    """Leadership as a standby replica sees it: another process leads."""

    def is_leader(self) -> bool:
        return False

    def leader(self) -> str | None:
        return "db-host-2:4242"


def test_probes_answer_and_readyz_follows_the_store(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world) as svc:
        assert svc.http.get("/healthz").json() == {"status": "ok"}
        assert svc.http.get("/readyz").status_code == 200
        svc.service.store.close()  # the store stops answering
        ready = svc.http.get("/readyz")
        assert ready.status_code == 503 and "store" in ready.json()["reason"]
        assert svc.http.get("/healthz").status_code == 200


def test_a_requested_run_syncs_and_status_is_the_cli_object(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    with serving(world) as svc:
        run = svc.sync()
        assert run["outcome"] == "succeeded" and run["summary"]["created"] == 2
        assert set(world.okta().members()) == {"user1@partner.example", "user2@partner.example"}
        api_status = svc.http.get("/api/status").json()
    assert api_status == world.cli("status", "--json").json()
    linked = {row["identity"] for row in api_status["identities"]["linked"]}
    assert linked == {"partners:auth0|u00001", "partners:auth0|u00002"}


def test_a_run_for_one_user_touches_only_that_user(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    with serving(world) as svc:
        run = svc.sync({"user": "auth0|u00002"})
        assert run["summary"]["created"] == 1
        assert set(world.okta().members()) == {"user2@partner.example"}


def test_run_requests_are_checked(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world) as svc:
        post = svc.http.post
        assert (
            post("/api/runs", content=b"{}", headers={"content-type": "text/plain"}).status_code
            == 415
        )
        for body in (b"[1]", b'{"user": ""}', b'{"user": 5}', b'{"everyone": true}', b"{nope"):
            answer = post("/api/runs", content=body, headers={"content-type": "application/json"})
            assert answer.status_code == 400, body
            assert "user" in answer.json()["error"] or "JSON" in answer.json()["error"]
        assert svc.http.get("/api/runs").status_code == 405
    assert world.okta().members() == {}


def test_metrics_after_real_runs(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2), auth0_user(3)]))
    with serving(world) as svc:
        assert svc.metric("spokesync_leader") == 1
        assert svc.metric("spokesync_last_success_timestamp_seconds") == 0
        world.reset_stats()
        first = svc.sync()
        okta_calls = world.stats("okta")
        auth0_calls = world.stats("auth0")
        second = svc.sync()  # nothing to do: a succeeded run without actions
        m = svc.metric
        assert m("spokesync_runs_total", mode="sync", outcome="succeeded") == 2
        assert m("spokesync_actions_total", action="create_user", outcome="succeeded") == 3
        assert m("spokesync_run_duration_seconds_count") == 2
        assert m("spokesync_identities", situation="linked") == 3
        assert m("spokesync_identities", situation="failing") == 0
        # Every real API call is counted, by service and status, as the emulators saw them.
        assert first["summary"]["api_calls"]["okta"] == _total(okta_calls)
        assert first["summary"]["api_calls"]["auth0"] == _total(auth0_calls)
        okta_counted = sum(
            m("spokesync_api_requests_total", service="okta", status=s)
            for s in ("200", "201", "204")
        )
        calls = [r["summary"]["api_calls"] for r in (first, second)]
        assert okta_counted == sum(c["okta"] for c in calls)
        assert m("spokesync_api_requests_total", service="auth0", status="200") == sum(
            c["auth0"] for c in calls
        )
        ended = svc.http.get("/api/status").json()["runs"][0]["finished_at"]
        assert m("spokesync_last_success_timestamp_seconds") == pytest.approx(
            _epoch(ended), abs=0.002
        )
        text = svc.http.get("/metrics").text
    # Bounded labels: no user id, login or token in any series.
    assert "u00001" not in text and "partner.example" not in text and OKTA_TOKEN not in text


def test_429s_are_counted_as_the_org_answered_them(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 9)]))
    faults = {"rate": 0.3, "seed": 7, "kinds": {"429": 1}}
    assert httpx.put(f"{world.okta_url}/_emulator/faults", json=faults).status_code == 200
    with serving(world) as svc:
        world.reset_stats()
        svc.sync()
        statuses = world.stats("okta")["statuses"]
        assert int(statuses.get("429", 0)) >= 1
        for status, count in statuses.items():
            assert (
                svc.metric("spokesync_api_requests_total", service="okta", status=status) == count
            )


def test_gauges_are_seeded_from_the_store_at_start(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1), auth0_user(2)]))
    world.sync()
    finished = world.cli("status", "--json").json()["runs"][0]["finished_at"]
    with serving(world) as svc:
        assert svc.metric("spokesync_identities", situation="linked") == 2
        assert svc.metric("spokesync_last_success_timestamp_seconds") == pytest.approx(
            _epoch(finished), abs=0.002
        )
        assert svc.metric("spokesync_runs_total", mode="sync", outcome="succeeded") == 0


def test_a_standby_refuses_runs_naming_the_leader(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world, leadership=Standby()) as svc:
        answer = svc.http.post("/api/runs", json={})
        assert answer.status_code == 503
        assert answer.json()["leader"] == "db-host-2:4242"
        assert "db-host-2:4242" in answer.json()["error"]
        assert svc.metric("spokesync_leader") == 0
    assert world.okta().members() == {}
    assert str(NotLeader(None)).endswith("no process leads right now")


def _total(stats: dict[str, object]) -> int:
    requests = stats["requests"]
    assert isinstance(requests, dict)
    return sum(int(v) for v in requests.values())


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_status_json_is_valid_json_with_runs(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world) as svc:
        svc.sync()
        body = svc.http.get("/api/status")
    assert body.headers["content-type"].startswith("application/json")
    assert json.loads(body.text)["runs"][0]["mode"] == "sync"


def test_a_request_during_a_run_is_queued_behind_it(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 4)]), latency_ms=20)
    with serving(world) as svc:
        first = svc.http.post("/api/runs", json={}).json()["run_id"]
        second = svc.http.post("/api/runs", json={"user": "auth0|u00003"}).json()["run_id"]
        assert first != second
        runs = [svc.wait_for_run(run_id) for run_id in (first, second)]
    assert runs[0]["finished_at"] <= runs[1]["started_at"]  # one at a time, in order
    assert runs[0]["summary"]["created"] == 3 and runs[1]["summary"]["created"] == 0


def test_stopping_lets_the_current_run_finish(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 6)]), latency_ms=20)
    with serving(world) as svc:
        run_id = svc.http.post("/api/runs", json={}).json()["run_id"]
        deadline = time.monotonic() + 30
        while svc.service.queue is None or svc.service.queue.current is None:
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.005)
        svc.service.stop()  # as SIGTERM does, mid-run
    (run,) = world.cli("status", "--json").json()["runs"]
    assert run["run_id"] == run_id and run["outcome"] == "succeeded"
    assert len(world.okta().members()) == 5
