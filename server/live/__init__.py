"""The live room: hub, room hosts, connections, outboxes, resume rings, frames on the wire."""
