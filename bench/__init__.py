"""Naskah's benchmarks: each figure measured side by side with a peer in the same run (see README.md)."""
