"""Use cases of the register, each over one unit of work.

The outer adapters (``api/``, ``cli/``) call these services and pass them the unit of work
and the register database they run on, named here: the store's classes, made only by each
adapter's composition root (``api/app.py``, ``cli/support.py``).
"""

from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork

__all__ = ["RegisterDatabase", "UnitOfWork"]
