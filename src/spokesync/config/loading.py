"""Reading the file: TOML, ``${VAR}`` from the environment, validation, secrets registered."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spokesync.config.messages import describe, scrub
from spokesync.config.model import Config
from spokesync.config.values import SECRET_KEYS, ConfigError
from spokesync.redact import register_secret

DEFAULT_PATH = "spokesync.toml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _interpolate(value: Any, path: str, missing: list[str], used: list[str]) -> Any:
    """Replace ``${VAR}`` from the environment; note missing names and the values used."""
    if isinstance(value, str):

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                missing.append(f"{path} reads ${{{name}}}, which is not set in the environment")
                return ""
            used.append(os.environ[name])
            return os.environ[name]

        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else k, missing, used)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", missing, used) for i, v in enumerate(value)]
    return value


def _secret_values(value: Any, key: str = "") -> list[str]:
    """Every string held under a secret-named key, at any depth."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _secret_values(v, str(k))]
    if isinstance(value, list):
        return [s for v in value for s in _secret_values(v, key)]
    return [value] if key in SECRET_KEYS and isinstance(value, str) else []


def register_secrets(config: Config) -> None:
    """Register every secret of ``config`` (tokens, client secrets, private keys) for redaction.

    A private key is registered whole; a fragment of one is masked by redact's PEM-block shape.
    """
    for secret in config.secrets():
        register_secret(secret)


def parse(
    data: dict[str, Any], origin: str = "<config>", *, base_dir: Path | None = None
) -> Config:
    """Validate a parsed TOML document (after ``${VAR}`` interpolation).

    Relative file paths (private keys, CA bundles) are read from ``base_dir`` (the config
    file's directory; the working directory when None). Secret values (tokens, client secrets,
    private keys) are registered with :mod:`spokesync.redact`, and no message ever holds one,
    nor any value read from the environment.
    """
    missing: list[str] = []
    from_env: list[str] = []
    resolved = _interpolate(data, "", missing, from_env)
    secrets = _secret_values(resolved)
    for secret in secrets:
        register_secret(secret)
    if missing:
        raise ConfigError(f"{origin}: {missing[0]}; export it or edit the file")
    try:
        config = Config.model_validate(resolved, context={"base_dir": base_dir})
    except ValidationError as exc:
        # A misspelt key also leaves the real one missing; the spelling is the thing to fix.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        key, problem = describe(errors[0])
        message = f"{origin}: {key} {problem}" if key else f"{origin}: {problem}"
        raise ConfigError(scrub(message, secrets + from_env)) from None
    register_secrets(config)
    return config


def _toml_problem(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """``line 3 (key token in [okta]): not valid TOML: ...``: where, never the value itself."""
    reason = str(exc)
    match = re.search(r"\(at line (\d+), column \d+\)$", reason)
    if not match:
        return f"not valid TOML: {reason}"
    number = int(match.group(1))
    lines = text.splitlines()
    where = [f"line {number}"]
    if 0 < number <= len(lines):
        key = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*=", lines[number - 1])
        table = next(
            (
                m.group(1).strip()
                for line in reversed(lines[: number - 1])
                if (m := re.match(r"\s*\[\[?([^\]]+)\]", line))
            ),
            None,
        )
        if key:
            where.append(f"key {key.group(1)}")
        if table:
            where.append(f"in [{table}]")
    detail = reason[: match.start()].strip()
    context = f" ({' '.join(where[1:])})" if where[1:] else ""
    return f"{where[0]}{context}: not valid TOML: {detail}"


def default_path() -> Path:
    """``$SPOKESYNC_CONFIG`` or ``./spokesync.toml``."""
    return Path(os.environ.get("SPOKESYNC_CONFIG", DEFAULT_PATH))


def load(path: Path | None = None) -> Config:
    """Read, interpolate and validate a config file."""
    file = path or default_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: no such config file; pass --config PATH or set SPOKESYNC_CONFIG"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: is not UTF-8 text; save it as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {_toml_problem(text, exc)}") from None
    config = parse(data, str(file), base_dir=file.parent)
    config.set_origin(file)
    return config
