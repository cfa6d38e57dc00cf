"""Run one fault scenario for real and check issue 5's promises afterwards.

The emulators are served by the test process; every sync under faults is a SUBPROCESS
(``python -m spokesync ... sync --json``), so its retries really back off and a SIGKILL is a
real kill: no ``finally``, no journal update, a run lock left behind. Clean reruns (faults off)
run in-process through the CLI, which is faster and equally real for the state they repair.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from spokesync.domain import login_key
from spokesync.emulators.runtime import Emulators, start
from tests.faults.scenario import FOREIGN_ID, FOREIGN_MEMBER, Change, Scenario, Step, uid
from tests.world_kit import (
    CLIENT_SECRET,
    GROUP_NAME,
    OKTA_TOKEN,
    ROLE,
    ROLE_NAME,
    Auth0Admin,
    OktaAdmin,
    World,
    seed,
)

#: a sync under faults that runs longer than this is a hang, not slowness
RUN_DEADLINE_SECONDS = 150.0
#: journal statuses that account for a change: done, or begun by a run that was killed
ACCOUNTABLE = frozenset({"succeeded", "started", "interrupted", "repaired"})


@dataclass
class Tally:
    """What one scenario did, for the session summary."""

    runs: int = 0
    kills: int = 0
    clean_reruns: int = 0
    exit_codes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    checks: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "kills": self.kills,
            "clean_reruns": self.clean_reruns,
            "exit_codes": dict(self.exit_codes),
            "faults": dict(self.faults),
            "checks": self.checks,
            "seconds": round(self.seconds, 2),
        }


class ScenarioFailed(AssertionError):
    """An invariant did not hold; the message starts with the seed."""


def _okta_ids_by_identity(
    rows: list[dict[str, Any]], by_login: dict[str, dict[str, Any]]
) -> dict[str, set[str]]:
    """identity -> the Okta users the journal says were made or linked for it."""
    out: dict[str, set[str]] = {}
    for row in rows:
        found = set()
        if row["okta_id"]:
            found.add(row["okta_id"])
        if row["action"] == "create_user" and row["login"]:
            made = by_login.get(login_key(row["login"]))
            if made is not None:
                found.add(made["id"])
        out.setdefault(row["identity"], set()).update(found)
    return out


class ScenarioRun:
    """One scenario against its own emulators, state file and config in ``tmp``."""

    def __init__(self, scenario: Scenario, tmp: Path) -> None:
        self.scenario = scenario
        self.tmp = tmp
        self.tally = Tally()
        document = seed(list(scenario.users), list(scenario.okta_users))
        self.emulators: Emulators = start(document, auth0_rate_limit=2000.0, auth0_burst=4000)
        self.world = World(self.emulators, tmp)
        self.config = self._write_config()
        self.auth0 = Auth0Admin(self.world.auth0_url)
        self.okta = OktaAdmin(self.world.okta_url)
        self.foreign_before = self._foreign_state()
        self.seed_okta_ids = {u["id"] for u in scenario.okta_users}

    def close(self) -> None:
        self.auth0.http.close()
        self.okta.http.close()
        self.emulators.stop()

    # -- running --------------------------------------------------------------------------------

    def run(self) -> Tally:
        began = time.perf_counter()
        for step in self.scenario.steps:
            for change in step.changes:
                self._change(change)
            self._sync_under_faults(step)
            if step.clean_rerun:
                self._converge()
        self.tally.seconds = time.perf_counter() - began
        self.check()
        return self.tally

    def _write_config(self) -> Path:
        timeout = self.scenario.faults.timeout_seconds
        path = self.tmp / "spokesync.toml"
        path.write_text(
            f"""[state]
url = "sqlite:///{self.world.db_path}"

[okta]
org_url = "{self.world.okta_url}"
token = "${{TEST_OKTA_TOKEN}}"
timeout_seconds = {timeout}

[sources.partners]
domain = "{self.world.auth0_url}"
client_id = "spokesync"
client_secret = "${{TEST_AUTH0_SECRET}}"
timeout_seconds = {timeout}

[[bindings]]
source = "partners"
role = "{ROLE_NAME}"
group = "{GROUP_NAME}"

[policy]
max_deprovision = "100%"
""",
            encoding="utf-8",
        )
        return path

    def _faults(self, body: dict[str, Any]) -> None:
        for url in (self.world.auth0_url, self.world.okta_url):
            response = httpx.put(f"{url}/_emulator/faults", json=body, timeout=10)
            assert response.status_code == 200, response.text
            body = {**body, "seed": body.get("seed", 0) + 1}  # the two emulators differ

    def _change(self, change: Change) -> None:
        user = uid(change.n)
        if change.kind == "assign":
            self.auth0.assign(user)
        elif change.kind == "unassign":
            self.auth0.unassign(user)
        elif change.kind == "rename":
            self.auth0.patch(user, {"user_metadata": {"lastName": change.value}})
        elif change.kind == "email":
            self.auth0.patch(user, {"email": change.value, "email_verified": True})
        elif change.kind in ("block", "unblock"):
            self.auth0.patch(user, {"blocked": change.kind == "block"})
        elif change.kind == "delete":
            self.auth0.delete(user)
        else:  # pragma: no cover - the generator makes only the kinds above
            raise ValueError(change.kind)

    def _sync_under_faults(self, step: Step) -> None:
        self._faults(self.scenario.faults.body(step.fault_seed))
        rows_before = self._journal_rows()
        env = {
            **os.environ,
            "TEST_OKTA_TOKEN": OKTA_TOKEN,
            "TEST_AUTH0_SECRET": CLIENT_SECRET,
        }
        out_path = self.tmp / f"run{self.tally.runs}.out"
        err_path = self.tmp / f"run{self.tally.runs}.err"
        command = [sys.executable, "-m", "spokesync", "--config", str(self.config)]
        command += ["--log-format", "json", "sync", "--json"]
        began = time.monotonic()
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
            killed = False
            while process.poll() is None:
                elapsed = time.monotonic() - began
                due = (step.kill == "delay" and elapsed >= step.kill_seconds) or (
                    step.kill == "journal" and self._journal_rows() - rows_before >= step.kill_rows
                )
                if due:
                    process.send_signal(signal.SIGKILL)
                    killed = True
                    break
                if elapsed > RUN_DEADLINE_SECONDS:
                    process.kill()
                    process.wait()
                    self.fail(f"a sync under faults ran over {RUN_DEADLINE_SECONDS} s", err_path)
                time.sleep(0.01)
            code = process.wait()
        self._faults({"rate": 0.0, "seed": 0})
        self.tally.runs += 1
        if killed and code == -signal.SIGKILL:
            self.tally.kills += 1
        self.tally.exit_codes[str(code)] += 1
        # Under faults a run may succeed, fail some identities (1), or be killed; nothing else.
        if code not in (0, 1, -signal.SIGKILL):
            self.fail(f"a sync under faults exited {code}", err_path, out_path)

    def _converge(self) -> None:
        """Rerun with faults off until a sync exits 0 (three tries)."""
        for _ in range(3):
            result = self.world.cli("sync", "--json")
            self.tally.clean_reruns += 1
            if result.exit_code == 0:
                return
        self.fail(
            f"no clean rerun succeeded; the last exited {result.exit_code}: "
            f"{result.stdout[-2000:]} {result.stderr[-2000:]}"
        )

    def _journal_rows(self) -> int:
        return len(self.journal(quiet=True))

    def journal(self, *, quiet: bool = False) -> list[dict[str, Any]]:
        """The journal (audit) table, read-only; empty while the file or table do not exist."""
        path = self.world.db_path
        if not path.exists():
            return []
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
                db.row_factory = sqlite3.Row
                rows = db.execute("select * from journal order by id").fetchall()
        except sqlite3.Error:
            if quiet:
                return []
            raise
        return [dict(r) for r in rows]

    # -- the promises ---------------------------------------------------------------------------

    def fail(self, message: str, *paths: Path) -> None:
        tails = "".join(
            f"\n--- {p.name} (tail) ---\n{p.read_text(errors='replace')[-3000:]}"
            for p in paths
            if p.exists()
        )
        raise ScenarioFailed(f"[fault scenario {self.scenario.describe()}] {message}{tails}")

    def expect(self, ok: bool, message: str, detail: Any = None) -> None:
        if not ok:
            self.fail(f"{message}: {detail!r}" if detail is not None else message)
        self.tally.checks += 1

    def _foreign_state(self) -> dict[str, Any]:
        members = {u["id"] for u in self.okta.members().values()}
        state = {}
        for okta_id in (FOREIGN_ID, FOREIGN_MEMBER):
            user = self.okta.user(okta_id)
            assert user is not None
            state[okta_id] = (user["status"], user["profile"], okta_id in members)
        return state

    def check(self) -> None:
        """Issue 5's promises, read through the APIs and the audit log."""
        for stats_url in (self.world.auth0_url, self.world.okta_url):
            stats = httpx.get(f"{stats_url}/_emulator/stats", timeout=10).json()
            self.tally.faults.update(stats.get("faults", {}))
        okta_users = self.okta.users()
        by_id = {u["id"]: u for u in okta_users}
        keys = Counter(login_key(u["profile"]["login"]) for u in okta_users)
        duplicated = sorted(k for k, n in keys.items() if n > 1)
        self.expect(not duplicated, "duplicated Okta logins", duplicated)
        by_login = {login_key(u["profile"]["login"]): u for u in okta_users}
        members = {u["id"] for u in self.okta.members().values()}
        self.expect(
            self._foreign_state() == self.foreign_before, "foreign users or membership changed"
        )

        role_members = {
            u["user_id"] for u in self.auth0.call("GET", f"/api/v2/roles/{ROLE}/users?per_page=100")
        }
        rows = self.journal()
        ours = _okta_ids_by_identity(rows, by_login)
        allowed = {FOREIGN_MEMBER}
        leaks: list[tuple[str, str]] = []  # (okta id, why it should not have the group)
        for n in sorted(self.scenario.final_emails):
            email = self.scenario.final_emails[n]
            user = self._auth0_user(uid(n))
            okta = by_login.get(login_key(email))
            in_scope = user is not None and uid(n) in role_members and not user.get("blocked")
            if user is not None and in_scope:
                self.expect(okta is not None, "in-scope user has no Okta user", email)
                assert okta is not None
                allowed.add(okta["id"])
                self.expect(okta["id"] in members, "in-scope user not in the group", email)
                self.expect(
                    okta["status"] in ("ACTIVE", "PROVISIONED"), "in scope, not active", okta
                )
                metadata = user.get("user_metadata") or {}
                want = (
                    metadata.get("firstName") or user["given_name"],
                    metadata.get("lastName") or user["family_name"],
                )
                got = (okta["profile"]["firstName"], okta["profile"]["lastName"])
                self.expect(got == want, f"profile of {email} not the mapped one", (got, want))
                continue
            # Out of scope: none of its Okta users (by login, or made or linked for it) has
            # access: out of the group, or suspended or deactivated (blocked).
            why = "deleted in Auth0" if user is None else "out of scope"
            candidates = set(ours.get(f"partners:{uid(n)}", set()))
            if okta is not None:
                candidates.add(okta["id"])
            for okta_id in sorted(candidates & members):
                status = by_id[okta_id]["status"] if okta_id in by_id else "?"
                allowed.add(okta_id)
                if status not in ("SUSPENDED", "DEPROVISIONED"):
                    leaks.append((okta_id, f"user {n} ({why}) still has the group"))
            self.tally.checks += 1
        leaks += [(s, "a group member nobody in scope accounts for") for s in members - allowed]
        self.tally.checks += 1
        self._judge_leaks(leaks, rows, by_id)
        self._check_audit(by_id, members)
        plan = self.world.cli("plan", "--json")
        self.expect(plan.exit_code == 0, "plan after convergence failed", plan.stderr[-2000:])
        self.expect(plan.json()["actions"] == [], "changes lost: plan not empty", plan.stdout)

    def _auth0_user(self, user_id: str) -> dict[str, Any] | None:
        response = self.auth0.http.get(f"/api/v2/users/{user_id.replace('|', '%7C')}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return dict(response.json())

    def _judge_leaks(
        self, leaks: list[tuple[str, str]], rows: list[dict[str, Any]], by_id: dict[str, Any]
    ) -> None:
        """Fail on access nobody should have."""
        del rows, by_id  # the leak list says it all
        if leaks:
            self.fail(f"access that should not exist: {sorted(leaks)}")

    def _check_audit(self, by_id: dict[str, dict[str, Any]], members: set[str]) -> None:
        rows = self.journal()
        left = [r for r in rows if r["status"] == "started"]
        self.expect(not left, "journal rows left 'started' after a clean run", left)
        unaccountable = [r for r in rows if r["status"] not in ACCOUNTABLE | {"failed"}]
        self.expect(not unaccountable, "journal rows of unknown status", unaccountable)
        creates = [r for r in rows if r["action"] == "create_user" and r["status"] in ACCOUNTABLE]
        created_ids = {r["okta_id"] for r in creates if r["okta_id"]}
        # A create whose answer was lost is repaired by a link to the user it made.
        begun = {r["identity"] for r in creates}
        created_ids |= {
            r["okta_id"]
            for r in rows
            if r["action"] == "link" and r["identity"] in begun and r["status"] in ACCOUNTABLE
        }
        created_logins = {login_key(r["login"]) for r in creates if r["login"]}
        for okta_id, user in sorted(by_id.items()):
            if okta_id in self.seed_okta_ids:
                continue
            self.expect(
                okta_id in created_ids or login_key(user["profile"]["login"]) in created_logins,
                "an Okta user was created without a journal row",
                user["profile"]["login"],
            )
        granting = {"create_user", "link", "add_to_group"}
        granted = {
            r["okta_id"]
            for r in rows
            if r["action"] in granting and r["status"] in ACCOUNTABLE and r["okta_id"]
        }
        for okta_id in sorted(members - {FOREIGN_MEMBER}):
            login = login_key(by_id[okta_id]["profile"]["login"]) if okta_id in by_id else ""
            self.expect(
                okta_id in granted or login in created_logins,
                "a group membership without a journal row",
                okta_id,
            )
