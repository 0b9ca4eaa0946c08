"""The read interfaces' implementations (:mod:`landreg.services.reads`), side by side.

For each group of look-ups (parcels, citizen status, the map's features, its tiles) a pooled
implementation runs one statement PostGIS answers from the event loop, and a session
implementation runs the ORM in a worker thread (SpatiaLite); :mod:`.factory` chooses once.
"""
