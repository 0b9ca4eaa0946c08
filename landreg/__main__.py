"""``python -m landreg`` runs the landreg command."""

from landreg.cli import main

main()
