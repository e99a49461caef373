"""Projects, batches, items and their import."""
