"""The bundled offline newsroom: fictional publishers, their feeds and pages, and a loopback server."""
