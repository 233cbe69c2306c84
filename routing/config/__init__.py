"""``routing.yml``: models, loading with line-numbered errors, and semantic validation."""

from routing.config.issues import ConfigError, ConfigIssue
from routing.config.loader import (
    config_version,
    load_config,
    parse_config,
    validate_file,
    validate_text,
)
from routing.config.models import RoutingConfig
from routing.config.validate import check_config

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "RoutingConfig",
    "check_config",
    "config_version",
    "load_config",
    "parse_config",
    "validate_file",
    "validate_text",
]
