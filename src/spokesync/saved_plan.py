"""Saved plans: the plan a person reviewed (and an approver signed off) is the plan that runs.

A saved plan records the actions of one planning run as ``plan --json`` lists them, with what
makes it checkable later: a fingerprint of what was observed, a digest of every config key
(secrets left out), the run id and when it was made. Applying it means observing and planning
again and applying only if the new plan is the saved one: the same actions on the same
identities. Otherwise nothing is applied and the difference is shown, per identity.

API (the dashboard's approvals build on it):

- ``SavedPlan``: the frozen record. ``run_id`` (the run that planned it), ``created_at``
  (UTC ISO), ``config_hash`` (sha256 over ``config_keys``), ``config_keys`` (dotted config key
  -> sha256 of its value; secrets and the service-only ``[serve]``/``[live]`` tables are left
  out, so no secret can be derived from a plan), ``fingerprint`` (sha256 of the observed
  source, target and links), ``actions`` (the ``plan --json`` action objects), ``guard`` (the
  guard's refusal message when it refused the plan, else None) and ``format`` (``FORMAT``).
- ``build(config, plan, observed, *, run_id, created_at, guard=None) -> SavedPlan``.
- ``to_json(saved) -> str`` and ``from_json(text, origin) -> SavedPlan``; ``write(path,
  saved)`` and ``read(path) -> SavedPlan``. The JSON carries ``digest``, a sha256 of its other
  content: an edited or truncated file, an unknown format version or a malformed field raises
  :class:`SavedPlanError` (one line naming the file; the CLI exits 2). The digest is no
  signature: what makes a forged file harmless is that only a plan equal to a fresh one is
  ever applied.
- ``config_changes(saved, config) -> list[str]``: the config keys whose value changed, were
  added or removed since the plan (empty: same config).
- ``compare(saved, plan) -> PlanDifference | None``: None when ``plan`` has exactly the saved
  actions (compared on kind, identity, Okta user, group(s), profile and detail; the reason
  text and the "before" values are not compared: they describe, they do not act). A
  ``PlanDifference`` has ``added`` and ``removed`` (``ActionChange`` tuples: identity, action
  and a one-line description), ``by_identity()``, ``lines()`` for a terminal, ``describe()``
  for JSON and ``headline()``.
- ``Store.keep_plan(run_id, text)`` / ``Store.run_plan(run_id) -> str | None``: the engine
  keeps the saved plan of every run the guard refused (column ``runs.plan``);
  ``from_store(store, run_id) -> SavedPlan | None`` reads it back.
- ``Engine.apply_saved_plan(saved, *, guard_approved=True, mode=None, run_id=None) ->
  RunResult``: observe, plan again, apply only if identical (the guard counts as approved by
  the plan when ``guard_approved``); otherwise exit 3 with ``result.difference`` set, or
  ``result.error`` naming the changed config keys. ``Engine.run(keep_plan=True)`` fills
  ``result.saved`` (``plan --out``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from spokesync.domain import IdentityKey, Plan

if TYPE_CHECKING:
    from spokesync.config import Config
    from spokesync.planner import PlanInput
    from spokesync.store.base import Store

#: The format version written; a file of another version is refused.
FORMAT = 1
#: The ``kind`` field that says what the file is.
KIND = "spokesync-plan"
#: What of an action is compared: what it does, not how it is described.
_ESSENCE = ("action", "identity", "okta_id", "group_id", "group_ids", "profile", "detail")
#: Tables of the config that do not change what a run plans.
_SERVICE_ONLY = frozenset({"serve", "live"})


class SavedPlanError(Exception):
    """A saved plan that cannot be used: unreadable, unwritable, not a plan, or edited."""


@dataclass(frozen=True, slots=True)
class SavedPlan:
    """One reviewed plan and what it was planned from (see the module docstring)."""

    run_id: str
    created_at: str
    config_hash: str
    config_keys: Mapping[str, str]
    fingerprint: str
    actions: tuple[Mapping[str, Any], ...]
    guard: str | None = None
    format: int = FORMAT


@dataclass(frozen=True, slots=True)
class ActionChange:
    """One action that is in one plan and not in the other."""

    identity: IdentityKey
    action: str
    description: str


@dataclass(frozen=True, slots=True)
class PlanDifference:
    """How a fresh plan differs from the saved one: actions added and removed since."""

    added: tuple[ActionChange, ...]
    removed: tuple[ActionChange, ...]
    #: whether what was observed differs too (it may, with the same plan)
    observed_changed: bool = True

    def by_identity(self) -> dict[IdentityKey, tuple[list[ActionChange], list[ActionChange]]]:
        """identity -> (actions added, actions removed), identities sorted."""
        grouped: dict[IdentityKey, tuple[list[ActionChange], list[ActionChange]]] = defaultdict(
            lambda: ([], [])
        )
        for change in self.added:
            grouped[change.identity][0].append(change)
        for change in self.removed:
            grouped[change.identity][1].append(change)
        return dict(sorted(grouped.items()))

    def headline(self) -> str:
        people = len({c.identity for c in self.added + self.removed})
        return (
            f"the plan changed since it was saved: {len(self.added)} action(s) added, "
            f"{len(self.removed)} removed, for {people} identit{'y' if people == 1 else 'ies'}; "
            "nothing was applied: review a new plan (spokesync plan --out FILE)"
        )

    def lines(self, limit: int = 50) -> list[str]:
        """One line per changed action, ``+`` added and ``-`` removed, grouped by identity."""
        out: list[str] = []
        for identity, (added, removed) in self.by_identity().items():
            for sign, changes in (("+", added), ("-", removed)):
                out.extend(f"  {sign} {identity}: {c.description}" for c in changes)
        if len(out) > limit:
            out = [*out[:limit], f"  ... and {len(out) - limit} more (use --json for all)"]
        return out

    def describe(self) -> dict[str, Any]:
        """The difference as JSON: per identity, the actions added and removed."""
        return {
            "identities": [
                {
                    "identity": identity,
                    "added": [c.description for c in added],
                    "removed": [c.description for c in removed],
                }
                for identity, (added, removed) in self.by_identity().items()
            ],
            "added": len(self.added),
            "removed": len(self.removed),
            "observed_changed": self.observed_changed,
        }


# -- building ---------------------------------------------------------------------------


def build(
    config: Config,
    plan: Plan,
    observed: PlanInput,
    *,
    run_id: str,
    created_at: str,
    guard: str | None = None,
) -> SavedPlan:
    """The saved form of ``plan``, planned from ``observed`` under ``config``."""
    keys = config_digests(config)
    return SavedPlan(
        run_id=run_id,
        created_at=created_at,
        config_hash=_digest_of(keys),
        config_keys=keys,
        fingerprint=fingerprint(observed),
        actions=tuple(a.describe() for a in plan.actions),
        guard=guard,
    )


def config_digests(config: Config) -> dict[str, str]:
    """Per dotted config key, a sha256 of its normalised value. Secrets (tokens, client
    secrets, private keys) are left out entirely, as are ``[serve]`` and ``[live]``."""
    secrets = set(config.secrets())
    dumped = config.model_dump(mode="python", exclude=set(_SERVICE_ONLY))
    leaves: dict[str, str] = {}
    _flatten(dumped, "", leaves, secrets)
    return dict(sorted(leaves.items()))


def _flatten(value: Any, path: str, out: dict[str, str], secrets: set[str]) -> None:
    if isinstance(value, SecretStr):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else str(key), out, secrets)
        return
    if isinstance(value, list | tuple) and value and isinstance(value[0], Mapping):
        for i, item in enumerate(value):
            _flatten(item, f"{path}[{i}]", out, secrets)
        return
    if isinstance(value, str) and value in secrets:  # a secret outside a SecretStr field
        return
    text = json.dumps(_plain(value), sort_keys=True, ensure_ascii=True)
    out[path] = hashlib.sha256(f"{path}={text}".encode()).hexdigest()


def fingerprint(observed: PlanInput) -> str:
    """A sha256 of what the planner read: bindings, role members, profiles (mapped where the
    cache had them), the Okta users and group members, the links and interrupted actions."""
    digest = hashlib.sha256()

    def feed(*parts: Any) -> None:
        digest.update(json.dumps(parts, sort_keys=True, default=_plain).encode())
        digest.update(b"\n")

    for binding in observed.bindings:
        feed("binding", binding.source, binding.role_id, binding.group_id)
    for key, members in sorted(observed.source.members.items()):
        feed("members", key, sorted(members))
    for identity, user in sorted(observed.source.profiles.items()):
        mapped = observed.mapped.get(identity)
        feed("profile", identity, user.as_dict(), mapped)
    feed("deleted", sorted(observed.source.deleted))
    for okta_id, target in sorted(observed.target.users.items()):
        feed("okta user", okta_id, target.status, target.profile)
    for group, okta_ids in sorted(observed.target.group_members.items()):
        feed("group", group, sorted(okta_ids))
    feed("missing", sorted(observed.target.missing))
    for identity, link in sorted(observed.links.items()):
        feed("link", identity, link)
    for pending in observed.pending:
        feed("pending", pending)
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """A JSON-ready form of the values that configs and views hold."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(mode="python"))
    return str(value)


def _digest_of(data: Any) -> str:
    return hashlib.sha256(_canonical(data).encode()).hexdigest()


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


# -- the file ---------------------------------------------------------------------------


def _body(saved: SavedPlan) -> dict[str, Any]:
    return {
        "kind": KIND,
        "format": saved.format,
        "run_id": saved.run_id,
        "created_at": saved.created_at,
        "config_hash": saved.config_hash,
        "config_keys": dict(saved.config_keys),
        "fingerprint": saved.fingerprint,
        "guard": saved.guard,
        "actions": [dict(a) for a in saved.actions],
    }


def to_json(saved: SavedPlan) -> str:
    """The file's text: the plan and a digest of it (escaped: pure ASCII)."""
    body = _body(saved)
    return json.dumps({**body, "digest": _digest_of(body)}, indent=1, ensure_ascii=True) + "\n"


def from_json(text: str, origin: str = "the saved plan") -> SavedPlan:
    """Parse and check a saved plan; raise :class:`SavedPlanError` naming ``origin``."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = getattr(exc, "msg", "too deeply nested")
        raise SavedPlanError(f"{origin} is not JSON ({msg}); write it with plan --out") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise SavedPlanError(f"{origin} is not a spokesync plan; write one with plan --out")
    if data.get("format") != FORMAT:
        raise SavedPlanError(
            f"{origin} has plan format {data.get('format')!r}, this spokesync reads {FORMAT}; "
            "plan again with this version"
        )
    digest = data.pop("digest", None)
    if not isinstance(digest, str) or digest != _digest_of(data):
        raise SavedPlanError(
            f"{origin} was changed after it was written (its digest does not match); "
            "plan again with plan --out"
        )
    try:
        return SavedPlan(
            run_id=_text(data, "run_id"),
            created_at=_text(data, "created_at"),
            config_hash=_text(data, "config_hash"),
            config_keys=_str_map(data, "config_keys"),
            fingerprint=_text(data, "fingerprint"),
            actions=_actions(data),
            guard=None if data.get("guard") is None else _text(data, "guard"),
        )
    except ValueError as exc:
        raise SavedPlanError(f"{origin}: {exc}; plan again with plan --out") from None


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"field {key} is not a string")
    return value


def _str_map(data: Mapping[str, Any], key: str) -> dict[str, str]:
    value = data.get(key)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"field {key} is not an object of strings")
    return dict(value)


def _actions(data: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    value = data.get("actions")
    if not isinstance(value, list):
        raise ValueError("field actions is not a list")
    for i, action in enumerate(value):
        if not (
            isinstance(action, dict)
            and isinstance(action.get("action"), str)
            and isinstance(action.get("identity"), str)
        ):
            raise ValueError(f"actions[{i}] has no action and identity")
    return tuple(value)


def write(path: Path, saved: SavedPlan) -> None:
    """Write ``saved`` to ``path`` (replacing it); SavedPlanError when it cannot be written."""
    try:
        path.write_text(to_json(saved), encoding="utf-8")
    except OSError as exc:
        raise SavedPlanError(
            f"cannot write the plan to {path}: {exc.strerror}; pick a writable --out path"
        ) from None


def read(path: Path) -> SavedPlan:
    """The saved plan in ``path``; SavedPlanError (naming the file) when unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SavedPlanError(f"cannot read the plan {path}: {why}") from None
    return from_json(text, f"--plan {path}")


def from_store(store: Store, run_id: str) -> SavedPlan | None:
    """The plan the store kept for run ``run_id`` (a run the guard refused), or None."""
    text = store.run_plan(run_id)
    return None if text is None else from_json(text, f"the plan of run {run_id}")


# -- checking -----------------------------------------------------------------------------


def config_changes(saved: SavedPlan, config: Config) -> list[str]:
    """The config keys changed, added or removed since ``saved`` was planned."""
    now = config_digests(config)
    if _digest_of(now) == saved.config_hash:
        return []
    return sorted(
        k for k in set(now) | set(saved.config_keys) if now.get(k) != saved.config_keys.get(k)
    )


def essence(described: Mapping[str, Any]) -> str:
    """What of an action is compared, canonically."""
    return _canonical({k: described.get(k) for k in _ESSENCE if described.get(k) is not None})


def compare(
    saved: SavedPlan, plan: Plan, fresh_fingerprint: str | None = None
) -> PlanDifference | None:
    """None when ``plan`` has exactly ``saved``'s actions, else what was added and removed."""
    fresh = [a.describe() for a in plan.actions]
    have = Counter(essence(a) for a in fresh)
    want = Counter(essence(a) for a in saved.actions)
    if have == want:
        return None
    added = _changes(fresh, have - want)
    removed = _changes(saved.actions, want - have)
    observed = fresh_fingerprint is None or fresh_fingerprint != saved.fingerprint
    return PlanDifference(added, removed, observed)


def _changes(
    actions: Iterable[Mapping[str, Any]], wanted: Counter[str]
) -> tuple[ActionChange, ...]:
    left = Counter(wanted)
    out: list[ActionChange] = []
    for described in actions:
        key = essence(described)
        if left[key] > 0:
            left[key] -= 1
            out.append(
                ActionChange(
                    str(described["identity"]), str(described["action"]), _describe(described)
                )
            )
    return tuple(out)


def _describe(described: Mapping[str, Any]) -> str:
    """``remove_from_group 00g...`` or ``update_profile firstName=Ann``: one line."""
    parts = [str(described["action"])]
    if described.get("group_id"):
        parts.append(f"group {described['group_id']}")
    if described.get("group_ids"):
        parts.append("groups " + ",".join(str(g) for g in described["group_ids"]))
    profile = described.get("profile")
    if isinstance(profile, Mapping) and profile:
        shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=True)}" for k, v in profile.items())
        parts.append(f"({shown[:160]})")
    return " ".join(parts)
