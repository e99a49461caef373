"""Engine, sessions, table metadata and Alembic migrations."""
