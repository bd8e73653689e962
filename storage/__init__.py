"""The coaching store: SQLite embedded, PostgreSQL in production, same code for both.

Nothing is imported here, so that `storage.claims` can be used without SQLAlchemy.
"""
