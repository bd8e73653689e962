"""HTTP routing of the emulated Bot API: /bot<token>/<method> and /file/bot<token>/<path>."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .errors import NOT_FOUND, UNAUTHORIZED, ApiError
from .faults import Delay, FaultInjector
from .methods import Handler
from .params import read_params
from .state import EmulatorState

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# nginx's code for "client closed the request"; marks calls the emulator dropped unprocessed.
CLIENT_GONE = 499

CallRecorder = Callable[[str, dict[str, Any], int], None]


def _error_response(error: ApiError) -> web.Response:
    if error.html_body is not None:
        return web.Response(status=error.status, text=error.html_body, content_type="text/html")
    return web.json_response(error.payload(), status=error.status)


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


class ApiServer:
    def __init__(
        self,
        tokens: set[str],
        table: dict[str, tuple[str, Handler]],
        faults: FaultInjector,
        state: EmulatorState,
        record: CallRecorder,
    ) -> None:
        self.tokens = tokens
        self.table = table
        self.faults = faults
        self.state = state
        self.record = record
        # Round-trip time added to every call (EmulatorConfig.latency).
        self.latency = 0.0
        self.port = 0
        self._runner: web.AppRunner | None = None

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(self._app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        return self.port

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 404, "description": NOT_FOUND}, status=404)

    def _check_token(self, token: str) -> ApiError | None:
        if token in self.tokens:
            return None
        # Telegram answers 404 for tokens that are malformed and 401 for well-formed unknown ones.
        if _TOKEN_RE.match(token):
            return ApiError(401, UNAUTHORIZED)
        return ApiError(404, NOT_FOUND)

    async def _handle_api(self, request: web.Request) -> web.Response:
        if self.latency > 0:
            await asyncio.sleep(self.latency / 2)  # the request on its way to the API
        response = await self._answer_api(request)
        if self.latency > 0:
            await asyncio.sleep(self.latency / 2)  # the answer on its way back
        return response

    async def _answer_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token_error = self._check_token(request.match_info["token"])
        if token_error is not None:
            self.record(method, {}, token_error.status)
            return _error_response(token_error)
        entry = self.table.get(method.lower())
        if entry is None:
            self.record(method, {}, 404)
            return _error_response(ApiError(404, NOT_FOUND))
        name, handler = entry
        try:
            params = await read_params(request)
        except ApiError as error:
            self.record(name, {}, error.status)
            return _error_response(error)

        fault = self.faults.decide(name.lower())
        if isinstance(fault, ApiError):
            self.record(name, params, fault.status)
            return _error_response(fault)
        if isinstance(fault, Delay) and not fault.deliver:
            await asyncio.sleep(fault.seconds)
            if _client_gone(request):
                self.record(name, params, CLIENT_GONE)
                return web.Response(status=CLIENT_GONE)

        try:
            result = await handler(params)
        except ApiError as error:
            self.record(name, params, error.status)
            response = _error_response(error)
        else:
            self.record(name, params, 200)
            response = web.json_response({"ok": True, "result": result})
        if isinstance(fault, Delay) and fault.deliver:
            # Processed already; only the answer is late, like Telegram under load.
            await asyncio.sleep(fault.seconds)
        return response

    async def _handle_file(self, request: web.Request) -> web.Response:
        if self._check_token(request.match_info["token"]) is not None:
            return _error_response(ApiError(404, NOT_FOUND))
        record = self.state.file_by_path(request.match_info["path"])
        if record is None:
            return _error_response(ApiError(404, NOT_FOUND))
        body = record.data if record.data is not None else bytes(record.size)
        return web.Response(body=body, content_type="application/octet-stream")
