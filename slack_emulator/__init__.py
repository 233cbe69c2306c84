"""A local Slack for the demo and the tests.

``SlackEmulator`` serves the Web API methods the bot uses under ``api_url``, keeps the
workspace state (users, channels, messages, views), validates Block Kit with Slack's limits,
and sends signed interactivity payloads, slash commands and Events API callbacks to the
bot's ``events_url``::

    emu = SlackEmulator(signing_secret="secret", bot_token="xoxb-test").start()
    emu.add_user(id="U_ALICE", name="alice", email="alice@example.com")
    emu.add_channel(id="C_SDR", name="sdr-west", members=["U_ALICE"])
    emu.events_url = "http://127.0.0.1:3000/slack/events"
    client = WebClient(token="xoxb-test", base_url=emu.api_url)
    ...
    msg = emu.wait_for(lambda: emu.messages("C_SDR"))[0]
    emu.click("U_ALICE", "C_SDR", msg["ts"], "lead_accept")

Standalone: ``python -m slack_emulator --port 3100 --events-url URL``; the control API
under ``/_emulator/`` drives it from another process.
"""

from .emulator import SlackEmulator
from .signing import compute_signature, signed_headers
from .state import Call

__all__ = ["Call", "SlackEmulator", "compute_signature", "signed_headers"]
