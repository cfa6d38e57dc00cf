"""The Okta Management API emulator: ``create_app(seed)`` returns a Starlette app."""

from spokesync.emulators.okta.app import create_app

__all__ = ["create_app"]
