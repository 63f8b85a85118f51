"""The Great Expectations gate of each registry extract.

A suite derived from the registry's schema (`build_suite`) is run over the extract's typed
DataFrame by `Gates.validate`; critical failures reject the extract (`GateResult.success`,
`GateResult.message()`, `GateRejected`), row failures are only reported because the validate
stage quarantines those rows. `Gates.build_docs` writes the run's Data Docs.
"""

from pipelines.intake.gates.columns import id_valid_column, with_id_validity
from pipelines.intake.gates.engine import RESULT_FORMAT, Gates
from pipelines.intake.gates.result import GateFailure, GateRejected, GateResult
from pipelines.intake.gates.suite import CRITICAL, ROW, ROW_OK, GateLimits, build_suite

__all__ = [
    "CRITICAL",
    "RESULT_FORMAT",
    "ROW",
    "ROW_OK",
    "GateFailure",
    "GateLimits",
    "GateRejected",
    "GateResult",
    "Gates",
    "build_suite",
    "id_valid_column",
    "with_id_validity",
]
