"""``python -m convanim`` runs the command line."""

from convanim.cli import main

main()
