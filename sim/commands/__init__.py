"""One module per ``commsim`` subcommand, each with ``add_arguments(parser)`` and ``main(args)``."""
