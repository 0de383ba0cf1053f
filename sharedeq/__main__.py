"""``python -m sharedeq`` runs the command line."""

import sys

from sharedeq.cli import main

sys.exit(main())
