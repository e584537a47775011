"""A run's files: tables, JSON, charts and its HTML report."""
