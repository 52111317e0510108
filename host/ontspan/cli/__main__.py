"""`python -m ontspan.cli`: the same as the `ontspan` command."""

import sys

from .main import main

sys.exit(main())
