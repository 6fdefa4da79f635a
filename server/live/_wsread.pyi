# The C module's interface (server/live/_wsread.c).

def split(
    buf: bytes | bytearray | memoryview, max_size: int, start: int = 0, max_frames: int = ..., /
) -> tuple[list[tuple[int, bytes, int]], int, int]: ...
