"""unit tests; tests/conftest.py marks them `unit`."""
