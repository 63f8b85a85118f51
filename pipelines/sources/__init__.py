"""Pulling registry extracts: file drops now; databases come with the registries issue."""
