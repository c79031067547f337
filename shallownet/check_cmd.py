"""``shallownet check``: the checker's command line (checker.cli), registered as a subcommand of shallownet.

Kept here so that ``shallownet.cli`` finds it where it looks; everything,
the options and the exit codes included, is in checker.cli.
"""

from checker.cli import EXIT_FAIL, EXIT_PASS, EXIT_USAGE, add_arguments, main, register, run

__all__ = ["EXIT_FAIL", "EXIT_PASS", "EXIT_USAGE", "add_arguments", "main", "register", "run"]
