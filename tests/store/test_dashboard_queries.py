"""The store's page and count queries behind the dashboard: keyset pages, aggregates, lookup."""

from __future__ import annotations

from spokesync.domain import ActionKind, Link
from spokesync.store import SqlStore


def _link(n: int, *, groups: frozenset[str] = frozenset({"00gA"}), gone: str = "") -> Link:
    return Link(
        identity=f"apac:auth0|{n}",
        okta_id=f"00u{n}",
        login=f"user{n}@hub.example",
        managed_groups=groups,
        deprovisioned=gone,
    )


def test_runs_page_by_keyset_newest_first(store: SqlStore) -> None:
    for n in range(7):
        # two runs share each start time: the id breaks the tie
        store.start_run(f"r{n}", "sync", f"2026-03-0{1 + n // 2}T00:00:00.000Z")
    pages, before = [], None
    while True:
        page = store.recent_runs(3, before=before)
        pages.append([r.id for r in page])
        if len(page) < 3:
            break
        before = page[-1].id
    assert pages == [["r6", "r5", "r4"], ["r3", "r2", "r1"], ["r0"]]


def test_last_run_of_a_mode_and_outcome(store: SqlStore) -> None:
    assert store.last_run("sync", "succeeded") is None
    for n, (mode, outcome) in enumerate(
        [("sync", "succeeded"), ("plan", "succeeded"), ("sync", "partial")]
    ):
        store.start_run(f"r{n}", mode, f"2026-03-0{n + 1}T00:00:00.000Z")
        store.finish_run(f"r{n}", outcome, f"2026-03-0{n + 1}T00:01:00.000Z", {})
    last = store.last_run("sync", "succeeded")
    assert last is not None and last.id == "r0"


def test_audit_pages_back_by_id(store: SqlStore) -> None:
    ids = [
        store.journal_start("r1", "apac:auth0|1", ActionKind.UPDATE_PROFILE, "00u1", None, {}, "t")
        for _ in range(5)
    ]
    store.journal_start("r1", "apac:auth0|2", ActionKind.UPDATE_PROFILE, "00u2", None, {}, "t")
    newest = store.audit("apac:auth0|1", limit=2)
    assert [r.id for r in newest] == ids[3:5]
    older = store.audit("apac:auth0|1", limit=2, before=newest[0].id)
    assert [r.id for r in older] == ids[1:3]


def test_link_counts_and_failure_pages(store: SqlStore) -> None:
    assert store.link_counts() == {}
    store.save_link(_link(1))
    store.save_link(_link(2))
    store.save_link(_link(3, groups=frozenset()))
    store.save_link(_link(4, gone="suspended"))
    assert store.link_counts() == {"linked": 2, "gone": 2}
    for n in range(5):
        for _ in range(n + 1):
            store.record_failure(f"apac:auth0|{n}", "r1", f"reason {n}")
    assert store.failure_count() == 5
    assert store.failure_count(min_streak=4) == 2
    first = store.failure_page(2)
    assert [(f.identity, f.streak) for f in first] == [("apac:auth0|0", 1), ("apac:auth0|1", 2)]
    rest = store.failure_page(10, after=first[-1].identity)
    assert [f.identity for f in rest] == ["apac:auth0|2", "apac:auth0|3", "apac:auth0|4"]
    assert [f.reason for f in store.failure_page(10, min_streak=5)] == ["reason 4"]


def test_find_identity_by_key_login_or_journal(store: SqlStore) -> None:
    store.save_link(_link(1))
    store.journal_start("r1", "apac:auth0|9", ActionKind.DELETE, "00u9", None, None, "t")
    assert store.find_identity("apac:auth0|1") == "apac:auth0|1"
    assert store.find_identity(" USER1@hub.example ") == "apac:auth0|1"
    assert store.find_identity("apac:auth0|9") == "apac:auth0|9"
    assert store.find_identity("nobody") is None
    assert store.find_identity("") is None
