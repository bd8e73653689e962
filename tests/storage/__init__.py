"""storage tests; tests/conftest.py marks them `storage`."""
