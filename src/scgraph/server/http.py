"""The HTTP side's guards against slow and greedy clients, below the application.

uvicorn's h11 protocol has a keep-alive timeout (idle between requests) and a cap on an
incomplete request head, but no deadline for the head itself: a client that sends its headers
one byte at a time (slowloris) holds its connection, and so a file descriptor, for ever.
:class:`GuardedH11Protocol` adds, per connection:

- a **header deadline**: the request line and headers must be whole within ``header_timeout``
  seconds of the connection (or of the previous answer); else 408 and the connection closes;
- a **connection cap**: a connection beyond ``max_connections`` gets 503 and is closed at once,
  so half-open connections cannot use up the process's file descriptors;
- **414** for a request line over ``max_line`` bytes and **431** for headers over ``max_head``
  bytes, answered before h11 would reset the connection with a bare 400.

The request body has its own deadline in the application (``Handlers._body``: 408).
nginx (``client_header_timeout``) and Apache (``mod_reqtimeout``) do the same.
"""

from __future__ import annotations

from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_REASONS = {408: "Request Timeout", 414: "URI Too Long", 431: "Request Header Fields Too Large",
            503: "Service Unavailable"}


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline, a connection cap and 414/431 answers."""

    header_timeout = 10.0
    max_connections = 256
    max_line = 1_000_000 + 8192
    max_head = 65536

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: Any = None
        self._head_bytes = 0  # bytes of the request head so far; -1 once it is whole
        self._line = -1  # length of the request line once its end was seen
        self._tail = b""  # the last bytes seen, for a head's end split between two reads
        if len(self.connections) > self.max_connections:
            self._refuse(503, "too many connections to this server; try again later")
            return
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._head_bytes, self._line, self._tail = 0, -1, b""
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_expired)

    def _disarm(self) -> None:
        if getattr(self, "_header_timer", None) is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_expired(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._refuse(408, f"the request line and headers did not arrive within "
                              f"{self.header_timeout:g} s")

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` with a one-line text body and close the connection."""
        self._disarm()
        body = (message + "\n").encode()
        head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode()
        if not self.transport.is_closing():
            self.transport.write(head + body)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE and self._head_bytes >= 0:  # reading a request head
            seen = self._tail + data
            end = seen.find(b"\r\n\r\n")
            head = data if end < 0 else data[:max(0, end + 4 - len(self._tail))]
            if self._line < 0:
                nl = head.find(b"\n")
                if nl >= 0:
                    self._line = self._head_bytes + nl
            self._head_bytes += len(head)
            self._tail = seen[-3:]
            line = self._line if self._line >= 0 else self._head_bytes
            if line > self.max_line:
                self._refuse(414, f"the request line is over the limit of {self.max_line} bytes; "
                                  "send a long query by POST")
                return
            if self._line >= 0 and self._head_bytes - self._line > self.max_head:
                self._refuse(431, f"the request headers are over the limit of {self.max_head} bytes")
                return
            if end >= 0:
                self._head_bytes = -1  # the head is whole: the rest is body, counted by the app
        super().data_received(data)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection has its own deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def protocol(header_timeout: float, max_connections: int, max_line: int,
             max_head: int = 65536) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` class with these limits (uvicorn takes a class)."""
    return type("ScgraphH11Protocol", (GuardedH11Protocol,), {
        "header_timeout": header_timeout, "max_connections": max_connections,
        "max_line": max_line, "max_head": max_head})


def uvicorn_config(app: Any, host: str, port: int, *, header_timeout: float = 10.0,
                   max_connections: int = 256, max_line: int = 1_008_192,
                   keep_alive: int = 5, **options: Any) -> Any:
    """The uvicorn configuration that ``scgraph serve`` (and the tests) run ``app`` with."""
    import uvicorn

    max_head = 65536
    return uvicorn.Config(
        app, host=host, port=port, log_level=options.pop("log_level", "warning"),
        http=protocol(header_timeout, max_connections, max_line, max_head),
        timeout_keep_alive=keep_alive,
        h11_max_incomplete_event_size=max_line + max_head + 4096, **options)
