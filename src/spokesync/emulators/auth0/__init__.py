"""The Auth0 Management API emulator: ``create_app(seed, ...)`` returns a Starlette app."""

from spokesync.emulators.auth0.app import create_app

__all__ = ["create_app"]
