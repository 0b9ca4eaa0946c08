"""The land register's model: parcels, parties, rights, dossiers and findings, free of frameworks."""
