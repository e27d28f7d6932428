"""`python -m posemachines` is the same as the `posemachines` command."""

import sys

from posemachines.cli import main

sys.exit(main())
