"""``leadrouter demo``: SQLite, the Slack emulator, simulated reps, a live feed."""
