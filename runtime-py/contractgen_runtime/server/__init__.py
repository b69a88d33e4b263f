"""The server side of the runtime: sessions, outbox and replay window, transports, history."""
