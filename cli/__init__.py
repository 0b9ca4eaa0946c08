"""The ``landreg`` command: an outer adapter, like ``api/``, that calls landreg's services."""
