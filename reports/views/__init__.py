"""Pages of the reports app: ``official`` (the official's dashboard)."""
