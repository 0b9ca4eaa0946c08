"""The land register's model: parcels, parties, rights, dossiers, findings; no frameworks."""
