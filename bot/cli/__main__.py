"""``python -m bot.cli``: the ``leadrouter`` command."""

import sys

from bot.cli import main

sys.exit(main())
