"""How long an op's name and its op_id may be: the edge's first check of every frame
(server/edge/ops.py) and the wire types (server/edge/wire_types.py) read these two."""

from __future__ import annotations

__all__ = ["MAX_OP", "MAX_OP_ID"]

MAX_OP = 64  # characters of an op name
MAX_OP_ID = 64  # characters of an op_id
