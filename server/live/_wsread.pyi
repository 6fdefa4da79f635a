# The C module's interface (server/live/_wsread.c).

def split(
    buf: bytes | bytearray | memoryview, max_size: int, /
) -> tuple[list[tuple[int, bytes, int]], int, int]: ...
