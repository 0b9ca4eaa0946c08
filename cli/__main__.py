"""``python -m cli`` runs the landreg command (as the installed `landreg` script does)."""

from cli.main import main

main()
