"""Benchmarks: `make bench` (python -m bench) runs each; each also runs on its own."""
