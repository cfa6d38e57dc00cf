"""Randomized fault scenarios, each generated from its seed alone (so a failure is replayed
from the seed printed with it).

A scenario is a small world (20-32 Auth0 users, a few pre-existing Okta users, one foreign
group member, one outsider), a fault profile within issue 5's numbers (up to 10 % 5xx, 5 % 429,
dropped connections, slow answers and, in some scenarios, client timeouts), and 1-3 steps:
Auth0 changes, then one sync under faults that may be SIGKILLed at a random point of apply.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tests.world_kit import GROUP, ROLE, auth0_user, okta_user

FOREIGN_ID = "00uForeign0000000001"  # an Okta user outside spokesync's scope: never touched
FOREIGN_MEMBER = "00uForeignMember0001"  # a group member spokesync did not add: stays
SURNAMES = ("Núñez", "Sørensen", "Okafor", "Łukasiewicz", "Ødegård", "Nguyễn", "Li", "O'Brien")
CHANGE_KINDS = ("assign", "unassign", "rename", "email", "block", "unblock", "delete")


@dataclass(frozen=True)
class FaultProfile:
    """Per-request probabilities of each fault kind, as ``PUT /_emulator/faults`` takes them."""

    kinds: dict[str, float]
    slow_ms: float
    #: the client's timeout (seconds); below ``slow_ms`` a slow answer becomes a timeout
    timeout_seconds: float

    @property
    def rate(self) -> float:
        return sum(self.kinds.values())

    def body(self, seed: int) -> dict[str, Any]:
        return {"rate": self.rate, "seed": seed, "kinds": self.kinds, "slow_ms": self.slow_ms}


@dataclass(frozen=True)
class Change:
    """One Auth0 admin change to user ``n`` before a sync."""

    kind: str
    n: int
    value: str = ""


@dataclass(frozen=True)
class Step:
    """Changes, then a sync under faults, maybe killed, maybe followed by clean reruns."""

    changes: tuple[Change, ...]
    fault_seed: int
    #: "none", "journal" (SIGKILL once the journal has ``kill_rows`` new rows) or "delay"
    kill: str
    kill_rows: int
    kill_seconds: float
    #: rerun with faults off until exit 0 before the next step (the last step always does)
    clean_rerun: bool


@dataclass(frozen=True)
class Scenario:
    seed: int
    users: tuple[dict[str, Any], ...]
    okta_users: tuple[dict[str, Any], ...]
    faults: FaultProfile
    steps: tuple[Step, ...]
    #: user number -> its email, as the scenario leaves it (email changes included)
    final_emails: dict[int, str] = field(default_factory=dict)

    def describe(self) -> str:
        kills = [s.kill for s in self.steps]
        kinds = ", ".join(f"{k} {v:.3f}" for k, v in self.faults.kinds.items() if v)
        return (
            f"seed={self.seed}: {len(self.users)} Auth0 users, {len(self.steps)} step(s), "
            f"kills {kills}, faults [{kinds}], slow {self.faults.slow_ms:.0f} ms, "
            f"timeout {self.faults.timeout_seconds} s"
        )


def uid(n: int) -> str:
    return f"auth0|u{n:05d}"


def _profile(rng: random.Random) -> FaultProfile:
    drop = rng.uniform(0.0, 0.04)
    kinds = {
        "500": rng.uniform(0.01, 0.04),
        "502": rng.uniform(0.0, 0.02),
        "503": rng.uniform(0.01, 0.04),  # 5xx together: at most 10 %
        "429": rng.uniform(0.01, 0.05),
        "drop_before": drop / 2,
        "drop_after": drop / 2,
        "slow": rng.uniform(0.0, 0.03),
    }
    with_timeouts = rng.random() < 0.5
    return FaultProfile(
        kinds={k: round(v, 4) for k, v in kinds.items()},
        slow_ms=rng.uniform(700, 900) if with_timeouts else rng.uniform(100, 300),
        timeout_seconds=0.5 if with_timeouts else 10.0,
    )


def generate(seed: int) -> Scenario:
    """The scenario of ``seed``: the same seed always gives the same scenario."""
    rng = random.Random(seed)
    count = rng.randint(20, 32)
    in_role = {n for n in range(1, count + 1) if rng.random() < 0.8}
    users = []
    for n in range(1, count + 1):
        metadata = (
            {"firstName": f"Ana{n}", "lastName": rng.choice(SURNAMES)} if rng.random() < 0.4 else {}
        )
        users.append(auth0_user(n, roles=(ROLE,) if n in in_role else (), user_metadata=metadata))
    # Pre-existing hub accounts of partners, in another case: correlated, never duplicated.
    linkable = rng.sample(sorted(in_role), k=min(len(in_role), rng.randint(1, 3)))
    okta_users = [
        okta_user(f"00uLinkable{n:09d}", f"User{n}@Partner.Example") for n in sorted(linkable)
    ]
    okta_users.append(okta_user(FOREIGN_ID, "outsider@hub.example"))
    okta_users.append(okta_user(FOREIGN_MEMBER, "manual@hub.example", groups=(GROUP,)))

    emails = {n: f"user{n}@partner.example" for n in range(1, count + 1)}
    blocked: set[int] = set()
    deleted: set[int] = set()
    steps = []
    nsteps = rng.choices((1, 2, 3), weights=(2, 2, 1))[0]
    for index in range(nsteps):
        changes: list[Change] = []
        if index > 0:
            for _ in range(rng.randint(2, 6)):
                alive = [n for n in range(1, count + 1) if n not in deleted]
                n = rng.choice(alive)
                kind = rng.choices(CHANGE_KINDS, weights=(4, 4, 3, 1, 1, 1, 1))[0]
                if (kind == "assign" and n in in_role) or (kind == "unassign" and n not in in_role):
                    kind = "rename"
                if kind == "unblock" and n not in blocked:
                    kind = "block"
                value = ""
                if kind == "assign":
                    in_role.add(n)
                elif kind == "unassign":
                    in_role.discard(n)
                elif kind == "rename":
                    value = rng.choice(SURNAMES)
                elif kind == "email":
                    value = f"user{n}.s{index}@partner.example"
                    emails[n] = value
                elif kind == "block":
                    blocked.add(n)
                elif kind == "unblock":
                    blocked.discard(n)
                elif kind == "delete":
                    deleted.add(n)
                changes.append(Change(kind, n, value))
        kill = rng.choices(("none", "journal", "delay"), weights=(3, 5, 2))[0]
        steps.append(
            Step(
                changes=tuple(changes),
                fault_seed=rng.randrange(1 << 30),
                kill=kill,
                # about as many rows as the step's changes make, so most kills land in apply
                kill_rows=rng.randint(1, len(in_role) if index == 0 else max(1, len(changes))),
                kill_seconds=round(rng.uniform(0.8, 3.0), 2),
                clean_rerun=index == nsteps - 1 or rng.random() < 0.5,
            )
        )
    return Scenario(
        seed=seed,
        users=tuple(users),
        okta_users=tuple(okta_users),
        faults=_profile(rng),
        steps=tuple(steps),
        final_emails=emails,
    )
