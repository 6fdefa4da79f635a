"""PostgreSQL statements for the transcript store, kept apart so postgres.py reads as logic."""

from __future__ import annotations

__all__ = [
    "INSERT_ENTRIES",
    "INSERT_PERSONAL",
    "LOCK_HEADS",
    "PRUNE_PROBES",
    "ROOM_KEY",
    "SELECT_ENTRIES",
    "SELECT_OP",
    "SELECT_OPS",
    "SELECT_OWN_OP",
    "SELECT_PROBE",
    "SELECT_TAIL",
    "UPDATE_HEADS",
    "UPSERT_PROBE",
    "UPSERT_SNAPSHOT",
]

# The schema itself: migrations.py.

# Creates missing heads and row-locks every head of the batch in one round trip. ON CONFLICT
# DO UPDATE locks the existing row (DO NOTHING would not), and rows are processed in the
# order given: callers pass the rooms sorted, so two processes' batches lock the same heads
# in the same order and cannot deadlock. Under READ COMMITTED a waiter sees the winner's
# committed head once the lock is released, so the chain stays linear.
LOCK_HEADS = """
    INSERT INTO heads (room, seq, hash, updated_at)
    SELECT r, 0, %(genesis)s, 0 FROM unnest(%(rooms)s::text[]) WITH ORDINALITY AS t(r, i)
    ORDER BY i
    ON CONFLICT (room) DO UPDATE SET seq = heads.seq
    RETURNING room, seq, hash
"""

# One statement for the whole batch, whatever its size: a round trip per row would cost more
# than the fsync we are amortising.
INSERT_ENTRIES = """
    INSERT INTO entries (room, seq, at, actor, op_id, type, data, prev, hash)
    SELECT * FROM unnest(
        %s::text[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[],
        %s::text[], %s::text[], %s::text[])
"""

UPDATE_HEADS = """
    UPDATE heads AS h
    SET seq = v.seq, hash = v.hash, updated_at = GREATEST(h.updated_at, v.updated_at)
    FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bigint[])
        AS v(room, seq, hash, updated_at)
    WHERE h.room = v.room
"""

INSERT_PERSONAL = """
    INSERT INTO personal (room, seq, participant, op_id, data)
    SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[])
"""

_COLUMNS = "e.room, e.seq, e.at, e.actor, e.op_id, e.type, e.data, e.prev, e.hash, p.data"
_JOINED = "entries AS e LEFT JOIN personal AS p ON p.room = e.room AND p.seq = e.seq"

SELECT_ENTRIES = f"""
    SELECT {_COLUMNS} FROM {_JOINED}
    WHERE e.room = %s AND e.seq > %s ORDER BY e.seq LIMIT %s
"""

SELECT_OP = f"""
    SELECT {_COLUMNS} FROM {_JOINED}
    WHERE e.room = %s AND e.actor = %s AND e.op_id = %s AND e.op_id <> ''
"""

# A caller's own op: attendees' entries are found by their real id and op id beside the chain.
SELECT_OWN_OP = f"""
    SELECT {_COLUMNS} FROM personal AS q
    JOIN entries AS e ON e.room = q.room AND e.seq = q.seq
    LEFT JOIN personal AS p ON p.room = e.room AND p.seq = e.seq
    WHERE q.room = %s AND q.participant = %s AND q.op_id = %s AND q.op_id <> ''
"""

ROOM_KEY = """
    INSERT INTO room_keys (room, key) VALUES (%s, %s) ON CONFLICT (room) DO NOTHING
"""

# The batch's op keys already in the transcript, in one round trip. Run after LOCK_HEADS: the
# head locks serialise appends per room, so nothing can commit one of these keys meanwhile.
SELECT_OPS = """
    SELECT e.room, e.seq, e.at, e.actor, e.op_id, e.type, e.data, e.prev, e.hash, p.data
    FROM unnest(%s::text[], %s::text[], %s::text[]) AS k(room, actor, op_id)
    JOIN entries AS e ON e.room = k.room AND e.actor = k.actor AND e.op_id = k.op_id
    LEFT JOIN personal AS p ON p.room = e.room AND p.seq = e.seq
    WHERE e.op_id <> ''
"""

# Newest wins, even if an older snapshot is saved late by a slower process.
UPSERT_SNAPSHOT = """
    INSERT INTO snapshots (room, seq, data) VALUES (%s, %s, %s)
    ON CONFLICT (room) DO UPDATE SET seq = excluded.seq, data = excluded.data
    WHERE excluded.seq >= snapshots.seq
"""

# The head and the entries after (head - count), in one statement so they agree; a head with
# no entries left still gives one row (the LEFT JOIN's NULLs).
SELECT_TAIL = """
    SELECT h.seq, h.hash, e.seq, e.at, e.actor, e.op_id, e.type, e.data, e.prev, e.hash
    FROM heads AS h
    LEFT JOIN entries AS e ON e.room = h.room AND e.seq > h.seq - %s
    WHERE h.room = %s ORDER BY e.seq
"""

UPSERT_PROBE = """
    INSERT INTO health (probe, token, at) VALUES (%s, %s, %s)
    ON CONFLICT (probe) DO UPDATE SET token = excluded.token, at = excluded.at
"""
SELECT_PROBE = "SELECT token FROM health WHERE probe = %s"
# Rows of store instances gone for a day (restarted processes).
PRUNE_PROBES = "DELETE FROM health WHERE at < %s AND probe <> %s"
