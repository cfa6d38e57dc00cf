"""Runs, the action journal (pending actions, resolution) and the audit view of it."""

from __future__ import annotations

import os
import socket

import pytest

from spokesync.domain import ActionKind, PendingAction
from spokesync.store import SqlStore, StoreError

T0 = "2026-03-01T10:00:00.000Z"
T1 = "2026-03-01T10:00:01.000Z"
T2 = "2026-03-02T10:00:00.000Z"


def test_run_round_trip(store: SqlStore) -> None:
    store.start_run("r1", "sync", T0)
    (running,) = store.recent_runs()
    assert (running.id, running.mode, running.started_at) == ("r1", "sync", T0)
    assert (running.finished_at, running.outcome, running.summary) == (None, None, {})

    summary = {"outcome": "succeeded", "counts": {"create_user": 2}, "duration_s": 1.5}
    store.finish_run("r1", "succeeded", T1, summary)
    (done,) = store.recent_runs()
    assert (done.finished_at, done.outcome, done.summary) == (T1, "succeeded", summary)


def test_recent_runs_newest_first_and_limited(store: SqlStore) -> None:
    for day in range(1, 6):
        store.start_run(f"r{day}", "plan", f"2026-03-0{day}T00:00:00.000Z")
    assert [r.id for r in store.recent_runs(limit=3)] == ["r5", "r4", "r3"]
    assert len(store.recent_runs()) == 5


def test_a_run_keeps_its_plan_and_names_its_process(store: SqlStore) -> None:
    store.start_run("r1", "sync", T0)
    store.start_run("r2", "sync", T1)
    store.keep_plan("r1", '{"kind": "spokesync-plan"}')
    assert store.run_plan("r1") == '{"kind": "spokesync-plan"}'
    assert store.run_plan("r2") is None and store.run_plan("nope") is None
    (newest, _) = store.recent_runs()
    assert newest.owner == f"{socket.gethostname()}:{os.getpid()}"
    with pytest.raises(StoreError, match="never started"):
        store.keep_plan("nope", "{}")


def test_a_run_id_is_used_once(store: SqlStore) -> None:
    store.start_run("r1", "sync", T0)
    with pytest.raises(StoreError, match="start run r1") as caught:
        store.start_run("r1", "sync", T1)
    assert caught.value.__cause__ is not None


def test_finishing_an_unknown_run_is_an_error(store: SqlStore) -> None:
    with pytest.raises(StoreError, match="never started"):
        store.finish_run("nope", "failed", T1, {})


def test_journal_start_then_finish_is_one_audit_row(store: SqlStore) -> None:
    before = {"firstName": "Ann"}
    entry = store.journal_start(
        "r1", "apac:auth0|1", ActionKind.UPDATE_PROFILE, "00u1", "ann@hub", before, T0
    )
    store.journal_finish(entry, "succeeded", T1, after={"firstName": "Anne"})
    (record,) = store.audit()
    assert record.id == entry
    assert (record.run_id, record.identity, record.action) == (
        "r1",
        "apac:auth0|1",
        "update_profile",
    )
    assert (record.okta_id, record.status, record.error) == ("00u1", "succeeded", None)
    assert (record.started_at, record.finished_at) == (T0, T1)
    assert (record.before, record.after) == (before, {"firstName": "Anne"})
    assert store.pending_actions() == []


def test_journal_finish_records_the_okta_id_learnt_by_a_create(store: SqlStore) -> None:
    entry = store.journal_start("r1", "apac:auth0|1", ActionKind.CREATE_USER, None, "a@h", None, T0)
    store.journal_finish(entry, "succeeded", T1, okta_id="00uNEW")
    assert store.audit()[0].okta_id == "00uNEW"


def test_journal_finish_without_okta_id_keeps_the_known_one(store: SqlStore) -> None:
    entry = store.journal_start("r1", "apac:auth0|1", ActionKind.SUSPEND, "00u1", None, None, T0)
    store.journal_finish(entry, "failed", T1, error="E0000007: Not found")
    (record,) = store.audit()
    assert (record.okta_id, record.status, record.error) == (
        "00u1",
        "failed",
        "E0000007: Not found",
    )


def test_journal_ids_increase(store: SqlStore) -> None:
    ids = [
        store.journal_start("r1", f"apac:auth0|{i}", ActionKind.LINK, None, None, None, T0)
        for i in range(3)
    ]
    assert ids == sorted(set(ids))


def test_unfinished_rows_are_pending_until_resolved(store: SqlStore) -> None:
    done = store.journal_start("r1", "apac:auth0|1", ActionKind.CREATE_USER, None, "a@h", None, T0)
    store.journal_finish(done, "succeeded", T1, okta_id="00u1")
    crashed = store.journal_start(
        "r1", "apac:auth0|2", ActionKind.CREATE_USER, None, "b@h", None, T1
    )
    assert store.pending_actions() == [
        PendingAction(
            id=crashed,
            run_id="r1",
            identity="apac:auth0|2",
            action=ActionKind.CREATE_USER,
            okta_id=None,
            login="b@h",
            started_at=T1,
        )
    ]
    store.resolve_pending(crashed, "repaired", T2)
    assert store.pending_actions() == []
    record = store.audit(identity="apac:auth0|2")[0]
    assert (record.status, record.finished_at) == ("repaired", T2)


def test_resolving_a_row_that_is_not_pending_is_an_error(store: SqlStore) -> None:
    entry = store.journal_start("r1", "apac:auth0|1", ActionKind.LINK, "00u1", None, None, T0)
    store.journal_finish(entry, "succeeded", T1)
    with pytest.raises(StoreError, match="not pending"):
        store.resolve_pending(entry, "interrupted", T2)
    with pytest.raises(StoreError, match="not pending"):
        store.resolve_pending(entry + 100, "interrupted", T2)
    assert store.audit()[0].status == "succeeded"


def test_finishing_an_unknown_entry_is_an_error(store: SqlStore) -> None:
    with pytest.raises(StoreError, match="no such entry"):
        store.journal_finish(12345, "succeeded", T1)


@pytest.mark.parametrize("status", ["started", "ok", ""])
def test_finished_status_must_be_a_known_one(store: SqlStore, status: str) -> None:
    entry = store.journal_start("r1", "apac:auth0|1", ActionKind.LINK, None, None, None, T0)
    with pytest.raises(ValueError, match="journal status"):
        store.journal_finish(entry, status, T1)
    with pytest.raises(ValueError, match="journal status"):
        store.resolve_pending(entry, status, T1)


def test_audit_filters_by_identity_since_and_limit(store: SqlStore) -> None:
    rows = [
        ("apac:auth0|1", "2026-03-01T00:00:00.000Z"),
        ("apac:auth0|2", "2026-03-02T00:00:00.000Z"),
        ("apac:auth0|1", "2026-03-03T00:00:00.000Z"),
        ("apac:auth0|1", "2026-03-04T00:00:00.000Z"),
    ]
    ids = [
        store.journal_start("r1", identity, ActionKind.ADD_TO_GROUP, "00u", None, None, at)
        for identity, at in rows
    ]
    assert [r.id for r in store.audit()] == ids  # oldest first
    assert [r.id for r in store.audit(identity="apac:auth0|1")] == [ids[0], ids[2], ids[3]]
    assert [r.id for r in store.audit(since="2026-03-02T00:00:00.000Z")] == ids[1:]
    assert [r.id for r in store.audit(identity="apac:auth0|1", since="2026-03-02")] == ids[2:]
    # the limit keeps the newest rows, still oldest first
    assert [r.id for r in store.audit(limit=2)] == ids[2:]
    assert store.audit(identity="apac:nobody") == []
