"""A load balancer in front of several `grow-coach run` webhook workers, for tests and benchmarks.

Each webhook call goes to a worker picked at random; if that worker refuses the
connection, drops it, or answers 5xx, the same call goes to another one, as Telegram
posts a failed update again (and a reverse proxy with retries would).
"""

from __future__ import annotations

import random
import socket

import aiohttp
from aiohttp import web

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(ports: list[int]) -> bool:
    """Whether every worker accepts connections yet."""
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return False
    return True


class WebhookBalancer:
    def __init__(self, ports: list[int], path: str = "/telegram") -> None:
        self.ports = ports
        self.path = path
        self.port = free_port()
        self.retried = 0  # calls a worker refused or failed, then sent to another
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application()
        app.router.add_post(self.path, self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {"Content-Type": "application/json", SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        for port in random.sample(self.ports, len(self.ports)):
            try:
                async with self._session.post(
                    f"http://127.0.0.1:{port}{self.path}", data=body, headers=headers
                ) as response:
                    await response.read()
                    if response.status < 500:
                        return web.Response(status=response.status)
            except (aiohttp.ClientError, TimeoutError):
                pass
            self.retried += 1
        return web.Response(status=502)
