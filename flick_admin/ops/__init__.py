"""Operating the database: health, probes and metrics, least-privilege roles, backups."""
