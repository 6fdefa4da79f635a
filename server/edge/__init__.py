"""The edge: every way in (HTTP API, pages, WebSocket handshake, exports) and its checks."""
