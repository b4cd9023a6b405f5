"""One module per ``commsim`` command: ``add_arguments(parser)`` and ``main(args)``."""
