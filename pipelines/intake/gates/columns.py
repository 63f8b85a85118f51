"""Helper columns the gate reads beside an extract's typed columns (computed by validation)."""

from pipelines.intake.validate import id_valid_column, with_id_validity

__all__ = ["id_valid_column", "with_id_validity"]
