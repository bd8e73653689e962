"""The coaching store: SQLite embedded, PostgreSQL in production, same code for both."""
