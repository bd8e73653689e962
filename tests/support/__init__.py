"""Helpers the tests share: drivers for the engine and the bot, database set-up, fault scenarios."""
