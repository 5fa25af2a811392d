"""``python -m crmagent`` runs the command line."""

from crmagent.cli import main

main()
