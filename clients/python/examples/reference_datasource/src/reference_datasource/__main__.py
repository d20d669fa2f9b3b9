"""Allows `python -m reference_datasource`, the same as the `reference-datasource` script."""

import sys

from reference_datasource.cli import main

sys.exit(main())
