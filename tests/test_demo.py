"""``spokesync demo`` end to end: the partners of the seed's hub sign in through the Auth0 IdP,
so the demo's federated source provisions them with no Okta email at all."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from spokesync.cli import app


def test_the_demo_converges_and_okta_sends_no_activation_email(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OKTA_API_TOKEN", "AUTH0_PARTNERS_SECRET"):  # the demo sets them: restore
        monkeypatch.delenv(name, raising=False)
    # 100 users: with fewer, the world's 4 role removals exceed the 10% deprovisioning guard.
    result = CliRunner().invoke(app, ["demo", "--users", "100"], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout[-3000:]
    assert "third sync planned 0" in result.stdout
    assert "Okta sent 0 activation emails and 0 password reset emails" in result.stdout
    assert "link to IdP 0oaAuth0Partners0001" in result.stdout
    # plan and sync read alike: every section cut at the same length
    cuts = [line.split()[2] for line in result.stdout.splitlines() if line.startswith("  … and ")]
    assert cuts, result.stdout
    sections = [line for line in result.stdout.splitlines() if line.endswith(" people)")]
    assert all(
        line.split(" (")[0] in ("unmatched", "linked", "gone", "skipped") for line in sections
    )
    # a group per partner organization appears, and follows a rename
    assert "One group per partner organization, made by spokesync: Partner Contoso (14)" in (
        " ".join(result.stdout.split())
    )
    assert "Partner groups now: Partner Contoso Ltd (14)" in " ".join(result.stdout.split())
