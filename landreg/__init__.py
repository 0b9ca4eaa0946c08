"""landreg: one land register from disagreeing cadastral maps, registers and dossier systems."""

__version__ = "0.1.0"
