"""Whether the database answers at all: the first half of ``/readyz`` (the second,
``storage.migrate.is_at_head``, asks whether the schema is the one this code expects).

It takes the engine, not a session: a ping needs one connection and one round trip,
and none of a unit of work's commit hooks.
"""

from __future__ import annotations

from sqlalchemy import Engine, text


def ping(engine: Engine) -> None:
    """Raises whatever the driver raises when the database cannot run ``SELECT 1``."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
