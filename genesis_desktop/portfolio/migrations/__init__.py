"""Alembic migrations of the portfolio schema, applied by `store.open_store`."""
