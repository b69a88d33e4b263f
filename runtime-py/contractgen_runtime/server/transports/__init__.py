"""ASGI transports: WebSocket, Server-Sent Events, long-polling and the POST messages endpoint."""
