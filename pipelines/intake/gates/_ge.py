"""Great Expectations, imported once, offline and quiet.

The import is deferred to first use because it costs seconds (the CLI and the DAG files import
the engine's modules without running a gate).
"""

from __future__ import annotations

import functools
import os
import sys
from types import ModuleType


@functools.cache
def gx() -> ModuleType:
    """The `great_expectations` module with analytics off (set before the import reads it)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    # pyspark.sql.connect (imported by GE's Spark shims) takes a `__main__` without a file or spec
    # (`python -c`, a script on stdin) for its own doctest runner and calls sys.exit(0) when the
    # Spark Connect extras are missing: the process would end, silently and "successfully", in
    # the middle of the import. Marking the interpreter interactive for the import avoids that.
    main = sys.modules.get("__main__")
    mistaken = (
        main is not None
        and getattr(main, "__spec__", None) is None
        and not hasattr(main, "__file__")
        and not hasattr(sys, "ps1")
    )
    if mistaken:
        sys.ps1 = ">>> "
    try:
        import great_expectations
    finally:
        if mistaken:
            del sys.ps1
    return great_expectations
