"""A local Salesforce org over HTTPS, for the tests and the demo (see ``emulator.py``)."""

from .emulator import API_VERSION, Call, SalesforceEmulator

__all__ = ["API_VERSION", "Call", "SalesforceEmulator"]
