"""Benchmarks for GROW Coach: they print figures and never assert timings (see bench/README.md)."""
