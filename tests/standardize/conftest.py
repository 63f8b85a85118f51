"""Standardize tests use the shared `spark` fixture from tests/conftest.py."""

import os
import sys

# Pandas UDF workers must run this interpreter (the venv), not whatever "python3" is on PATH.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
