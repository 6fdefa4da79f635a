"""Moderation policy: roles and permissions, text filters, reject reasons, the audit trail.

Pure, like rooms/: the server hands in word lists; nothing here reads files or clocks.
"""

from moderation.audit import REJECT_REASONS, AuditEntry
from moderation.filters import DEFAULT_FILTERS, TextFilters
from moderation.roles import OPS_BY_ROLE, Role, may

__all__ = [
    "DEFAULT_FILTERS",
    "OPS_BY_ROLE",
    "REJECT_REASONS",
    "AuditEntry",
    "Role",
    "TextFilters",
    "may",
]
