"""``python -m convanim`` runs the command line."""

from convanim.cli.main import main

main()
