"""Subcommands of the ``recruitstats`` command, one module each."""
