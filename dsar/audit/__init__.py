"""The audit trail: recording hash-chained events and verifying the chains."""
from dsar.audit.chain import GENESIS, event_hash, on_status_change, record, verify_chains

__all__ = ["GENESIS", "event_hash", "on_status_change", "record", "verify_chains"]
