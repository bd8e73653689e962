"""A small HTTP server for /healthz and /metrics, run on the bot's own event loop.

Plain asyncio rather than aiohttp.web: the bot already loads aiohttp's client, but
its server side would add about 2 MB to a process that answers two GETs a minute.
Every request is read under a deadline and answered with "Connection: close", so a
slow or silent client holds nothing but its own socket, and a health check that
hangs is cut off after `health_timeout` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.operations.metrics import Metrics

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[bool]]

# A request is one line and a few headers; anything bigger is not a scraper.
MAX_REQUEST_HEAD = 8192
REQUEST_READ_TIMEOUT = 5.0
DEFAULT_HEALTH_TIMEOUT = 2.0

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}
_JSON = "application/json"
_TEXT = "text/plain; charset=utf-8"


def parse_listen(text: str) -> tuple[str, int] | None:
    """`[metrics] listen`: "host:port" ("[::1]:9464" for IPv6), or "" for no server.

    Raises ValueError with a message fit for a config error.
    """
    text = text.strip()
    if not text:
        return None
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f'expected "host:port" such as "127.0.0.1:9464", or "" for none, got "{text}"')
    return host, int(port)


@dataclass(frozen=True)
class OpsServer:
    """A running server; `port` is the one actually bound (useful when asked for 0)."""

    server: asyncio.Server

    @property
    def host(self) -> str:
        return str(self.server.sockets[0].getsockname()[0])

    @property
    def port(self) -> int:
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()


async def start_ops_server(
    host: str,
    port: int,
    health_check: HealthCheck,
    *,
    metrics: Metrics | None = None,
    health_timeout: float = DEFAULT_HEALTH_TIMEOUT,
) -> OpsServer:
    """Listen on host:port and serve GET /healthz and GET /metrics until closed.

    `health_check` says whether the database answers; it returning False, raising
    or taking longer than `health_timeout` all make /healthz answer 503.
    `metrics` defaults to the process-wide instance.
    """
    if metrics is None:
        from bot.operations.metrics import default_metrics

        metrics = default_metrics()
    handler = _Handler(health_check, metrics, health_timeout)
    server = await asyncio.start_server(handler, host, port, limit=MAX_REQUEST_HEAD)
    ops = OpsServer(server)
    log.info("Health and metrics served on http://%s:%d/ (/healthz, /metrics)", ops.host, ops.port)
    return ops


class _Handler:
    def __init__(self, health_check: HealthCheck, metrics: Metrics, health_timeout: float) -> None:
        self._health_check = health_check
        self._metrics = metrics
        self._health_timeout = health_timeout

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_READ_TIMEOUT)
            except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                return
            status, content_type, body, extra = await self._respond(head)
            head_only = head.startswith(b"HEAD ")
            writer.write(_response(status, content_type, body, extra, head_only=head_only))
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, head: bytes) -> tuple[int, str, bytes, dict[str, str]]:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return 400, _TEXT, b"bad request\n", {}
        method, target, _version = parts
        if method not in ("GET", "HEAD"):
            return 405, _TEXT, b"method not allowed\n", {"Allow": "GET, HEAD"}
        path = target.split("?", 1)[0]
        if path == "/healthz":
            healthy = await self._database_reachable()
            if healthy:
                return 200, _JSON, b'{"status": "ok", "database": "ok"}\n', {}
            return 503, _JSON, b'{"status": "unavailable", "database": "unreachable"}\n', {}
        if path == "/metrics":
            return 200, self._metrics.content_type, self._metrics.exposition(), {}
        return 404, _TEXT, b"not found\n", {}

    async def _database_reachable(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self._health_check(), self._health_timeout))
        except TimeoutError:
            log.warning("Health check: the database did not answer within %.1fs", self._health_timeout)
        except Exception as error:
            # The type only: a driver's message may quote connection details.
            log.warning("Health check: the database check failed (%s)", type(error).__name__)
        return False


def _response(
    status: int, content_type: str, body: bytes, extra: dict[str, str], *, head_only: bool
) -> bytes:
    headers = {
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "Cache-Control": "no-store",
        "Connection": "close",
        **extra,
    }
    lines = [f"HTTP/1.1 {status} {_REASONS[status]}", *(f"{k}: {v}" for k, v in headers.items())]
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + (b"" if head_only else body)
