"""Workspace/app identity and tunables shared by the emulator's modules."""

from __future__ import annotations

from dataclasses import dataclass

from .ratelimits import RateLimiter


@dataclass
class Config:
    signing_secret: str
    bot_token: str
    app_token: str = "xapp-1-A0LEADROUTER-1-emulator"  # app-level token for Socket Mode
    team_id: str = "T0001"
    team_domain: str = "leadrouter-emulated"
    team_name: str = "Lead Router (emulated)"
    bot_user_id: str = "U0BOT"
    bot_name: str = "leadrouter"
    bot_id: str = "B0BOT"
    app_id: str = "A0LEADROUTER"
    verification_token: str = "emulator-verification-token"
    trigger_ttl: float = 3.0  # seconds a trigger_id stays valid, as on Slack
    # Seconds each Web API call takes, half before Slack acts on it and half after
    # (network and Slack's own time; real calls take 50-300 ms): 0 answers at once.
    latency: float = 0.0
    # Slack's rate limits (tiers per method, posts per channel); None: unlimited.
    rate_limiter: RateLimiter | None = None
    base_url: str = ""  # set once the server is bound
    socket_url: str = ""  # ws:// base of the Socket Mode server, once started

    @property
    def workspace_url(self) -> str:
        return f"https://{self.team_domain}.slack.com/"
