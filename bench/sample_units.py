"""The generated provinces are made of the sample's administrative units, not the shipped ones:
every benchmark runs landreg with them as the installation's (``LANDREG_DATA_DIR``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "data" / "landreg_data"


def use_sample_units() -> None:
    """Point ``LANDREG_DATA_DIR`` (for this process and those it starts) at a folder holding
    the sample's units, unless one is set already."""
    from sample_data.units import UNITS_FILE

    if os.environ.get("LANDREG_DATA_DIR"):
        return
    FOLDER.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(UNITS_FILE, FOLDER / "admin_units.csv")
    os.environ["LANDREG_DATA_DIR"] = str(FOLDER)
