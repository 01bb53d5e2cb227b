"""The audit trail of a case or dispute, in words (see villages.history.readable_history)."""

from villages.history import readable_history

__all__ = ["readable_history"]
