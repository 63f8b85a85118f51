"""What lets anyone check a run afterwards: the manifest, the run log and the hash-chained audit
log of every view of unmasked personal data."""

from pipelines.audit.log import AuditLog, AuditTampered, audit_log, current_user
from pipelines.audit.manifest import RunLog, engine_version, policy_file_digests, ruleset_record

__all__ = ["AuditLog", "AuditTampered", "RunLog", "audit_log", "current_user", "engine_version",
           "policy_file_digests", "ruleset_record"]
