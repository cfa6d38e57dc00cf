"""``spokesync config check``: everything that can be verified before a first run.

Resolves each binding's role and group to ids, obtains a token from every source and
reports missing scopes, proves the Okta token works, and warns about risky settings.
"""

from __future__ import annotations

from rich.console import Console

from spokesync.clients import TransportFor, open_clients
from spokesync.config import Config
from spokesync.http import ApiError
from spokesync.mapping import login_sources_from_user_metadata
from spokesync.observe import ResolveError, resolve_bindings
from spokesync.redact import redact

#: scopes every source needs, and the ones write-back needs
REQUIRED_SCOPES = ("read:users", "read:roles")
WRITE_BACK_SCOPES = ("update:users",)


def _say(console: Console, ok: bool | None, text: str) -> None:
    mark = {True: "[green]ok[/green]  ", False: "[red]FAIL[/red]", None: "[yellow]warn[/yellow]"}[
        ok
    ]
    console.print(f"{mark} {redact(text)}", highlight=False)


async def check(
    config: Config, console: Console, transport_for: TransportFor | None = None
) -> bool:
    """Print one line per check; True when nothing failed (warnings allowed)."""
    ok = True
    _say(
        console,
        True,
        f"config parsed: {len(config.sources)} source(s), {len(config.bindings)} binding(s)",
    )
    for attr in login_sources_from_user_metadata(config.mapping_rules()):
        _say(
            console,
            None,
            f"mapping.{attr} reads user_metadata, which users can edit themselves: "
            "anyone could pick their Okta login; map it from email instead",
        )
    if config.policy.allow_unverified_email:
        _say(
            console,
            None,
            "policy.allow_unverified_email = true: an Auth0 sign-up with someone else's address "
            "could be linked to that person's Okta account",
        )
    async with open_clients(config, transport_for) as clients:
        for name, client in clients.auth0.items():
            try:
                granted = set(await client.check_scopes())
            except ApiError as exc:
                _say(console, False, f"source {name}: no token: {exc}")
                ok = False
                continue
            missing = [s for s in REQUIRED_SCOPES if s not in granted]
            if missing:
                ok = False
                _say(console, False, f"source {name}: token lacks scopes {', '.join(missing)}")
            else:
                _say(
                    console,
                    True,
                    f"source {name}: token obtained with {', '.join(REQUIRED_SCOPES)}",
                )
            lacking = [s for s in WRITE_BACK_SCOPES if s not in granted]
            if lacking:
                _say(
                    console,
                    None,
                    f"source {name}: token lacks {', '.join(lacking)}: write-back of hub status "
                    "to Auth0 will fail",
                )
        try:
            bindings = await resolve_bindings(config, clients)
        except ResolveError as exc:
            _say(console, False, str(exc))
            return False
        except ApiError as exc:
            _say(console, False, f"resolving bindings failed: {exc}")
            return False
        for i, binding in enumerate(bindings):
            _say(
                console,
                True,
                f"bindings[{i}]: role {binding.role_name} = {binding.role_id} ({binding.source}) "
                f"-> group {binding.group_name} = {binding.group_id}",
            )
    return ok
