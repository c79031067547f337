"""``python -m checker FILE_OR_FOLDER ...``: the same as ``shallownet check``."""

import sys

from .cli import main

sys.exit(main())
