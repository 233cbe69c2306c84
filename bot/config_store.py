"""The live routing config: compiled once, hot-reloaded, a bad edit keeps the old one."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from routing.config.loader import ConfigError, load_config, parse_config
from routing.config.models import RoutingConfig
from routing.engine import Router

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveConfig:
    config: RoutingConfig
    router: Router


class ConfigStore:
    def __init__(self, path: Path | None = None, *, text: str | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self.last_error: ConfigError | None = None
        if text is not None:
            config = parse_config(text, source=str(path or "routing.yml"))
        elif path is not None:
            self._mtime = path.stat().st_mtime
            config = load_config(path)
        else:
            raise ValueError("ConfigStore needs a path or text")
        self._live = LiveConfig(config, Router(config))

    @property
    def live(self) -> LiveConfig:
        return self._live

    @property
    def config(self) -> RoutingConfig:
        return self._live.config

    @property
    def router(self) -> Router:
        return self._live.router

    def reload_if_changed(self) -> bool:
        """True when a new config went live; a bad file keeps the old one running."""
        if self.path is None:
            return False
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            log.warning("config_missing", extra={"path": str(self.path)})
            return False
        with self._lock:
            if mtime == self._mtime:
                return False
            self._mtime = mtime
            try:
                config = load_config(self.path)
            except ConfigError as err:
                self.last_error = err
                log.error("config_reload_rejected", extra={"errors": str(err)})
                return False
            if config.version == self._live.config.version:
                return False
            self._live = LiveConfig(config, Router(config))
            self.last_error = None
            log.info("config_reloaded", extra={"version": config.version})
            return True
