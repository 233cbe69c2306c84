"""A local, in-process Slack for the demo and the tests.

``SlackEmulator`` serves the Web API methods the bot uses (``/api/<method>``), keeps the
workspace state (users, channels, messages, views), validates Block Kit, and sends signed
interactivity payloads, slash commands and Events API callbacks to the bot.
"""

from .emulator import SlackEmulator
from .signing import compute_signature, signed_headers
from .state import Call

__all__ = ["Call", "SlackEmulator", "compute_signature", "signed_headers"]
