"""The coaching store: SQLite embedded, PostgreSQL in production, same code for both."""

from storage.conversations import ConversationRepository
from storage.db import Database
from storage.leader import LeaderRepository
from storage.users import UserRepository

__all__ = ["ConversationRepository", "Database", "LeaderRepository", "UserRepository"]
