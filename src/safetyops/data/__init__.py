"""Data files shipped inside the package (with their licences)."""
