"""``python -m bot.cli``: the ``leadrouter`` command."""

import sys

from bot.cli import main

if __name__ == "__main__":  # imported (a module walk, a test): do nothing
    sys.exit(main())
