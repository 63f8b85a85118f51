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
    _share_compiled_templates()
    return great_expectations


def _share_compiled_templates() -> None:
    """Data Docs: GE builds a new Jinja environment for every page it renders, so it compiles
    its templates again for every page of every source (most of the time a site takes to
    build). One in-memory bytecode cache, shared by those environments, compiles each template
    once per process; the pages are the same."""
    import jinja2
    from great_expectations.render.view import view

    class Compiled(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.codes: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            code = self.codes.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.codes[bucket.key] = bucket.bytecode_to_string()

    cache, made = Compiled(), view.DefaultJinjaView.__init__

    @functools.wraps(made)
    def __init__(self, *args, **kwargs) -> None:  # noqa: N807 - GE's own constructor, wrapped
        made(self, *args, **kwargs)
        self.env.bytecode_cache = cache

    view.DefaultJinjaView.__init__ = __init__
