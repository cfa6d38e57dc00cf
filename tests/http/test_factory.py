"""make_client: TLS always verified, timeouts always set, HTTP/1.1."""

from __future__ import annotations

import pytest

from spokesync.http.factory import USER_AGENT, make_client


@pytest.mark.anyio
async def test_defaults() -> None:
    async with make_client("https://h.example", timeout=7, headers={"X-Extra": "1"}) as client:
        assert client.timeout.read == 7 and client.timeout.connect == 7
        assert client.headers["user-agent"] == USER_AGENT
        assert client.headers["accept"] == "application/json"
        assert client.headers["x-extra"] == "1"
        assert client.follow_redirects is False


def test_verification_cannot_be_switched_off() -> None:
    with pytest.raises(ValueError, match="TLS"):
        make_client("https://h.example", timeout=1, verify=False)


def test_missing_ca_bundle_fails_early(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileNotFoundError):
        make_client("https://h.example", timeout=1, verify=str(tmp_path / "none.pem"))


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout"):
        make_client("https://h.example", timeout=0)
