"""Web pages for people, rendered on the server: the citizen's dossier look-up (``citizen``),
the register's overview (``overview``) and the officers' workbench; ``render`` makes them."""
