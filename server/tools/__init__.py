"""Tools around the transcript: the CLI, exports, verify, reports, memory tracing."""
