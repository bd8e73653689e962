"""e2e tests; tests/conftest.py marks them `e2e`."""
