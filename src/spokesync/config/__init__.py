"""The TOML config file, validated with pydantic; ``${VAR}`` reads the environment.

Every problem is raised as :class:`ConfigError`, whose message names the file, the key and
what to do, so the command line can print one line and exit 2 instead of a traceback.

One module a concern: :mod:`.values` checks single values, :mod:`.sections` holds the tables,
:mod:`.model` the whole file, :mod:`.messages` phrases errors, :mod:`.loading` reads the file.
"""

from spokesync.config.loading import DEFAULT_PATH, default_path, load, parse, register_secrets
from spokesync.config.model import Config
from spokesync.config.sections import (
    OKTA_BASE_SCOPES,
    OKTA_IDP_SCOPE,
    OKTA_LOGS_SCOPE,
    OKTA_SCHEMAS_SCOPE,
    OKTA_USER_TYPES_SCOPE,
    Activation,
    BindingConfig,
    IdentityConfig,
    LiveConfig,
    OktaConfig,
    OktaOAuthConfig,
    PolicyConfig,
    PrivateKeyHolder,
    ServeConfig,
    SourceConfig,
    StateConfig,
)
from spokesync.config.values import (
    SECRET_KEYS,
    SIGNING_ALGORITHMS,
    ConfigError,
    KeyedValueError,
    SigningAlgorithm,
    check_private_key,
    check_url,
    is_loopback_host,
)
from spokesync.mapping import DEFAULT_MAPPING, FixedValue, MappingRule

__all__ = [
    "DEFAULT_MAPPING",
    "DEFAULT_PATH",
    "OKTA_BASE_SCOPES",
    "OKTA_IDP_SCOPE",
    "OKTA_LOGS_SCOPE",
    "OKTA_SCHEMAS_SCOPE",
    "OKTA_USER_TYPES_SCOPE",
    "SECRET_KEYS",
    "SIGNING_ALGORITHMS",
    "Activation",
    "BindingConfig",
    "Config",
    "ConfigError",
    "FixedValue",
    "IdentityConfig",
    "KeyedValueError",
    "LiveConfig",
    "MappingRule",
    "OktaConfig",
    "OktaOAuthConfig",
    "PolicyConfig",
    "PrivateKeyHolder",
    "ServeConfig",
    "SigningAlgorithm",
    "SourceConfig",
    "StateConfig",
    "check_private_key",
    "check_url",
    "default_path",
    "is_loopback_host",
    "load",
    "parse",
    "register_secrets",
]
