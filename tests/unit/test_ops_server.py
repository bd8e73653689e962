"""The health and metrics server, asked over real sockets on a free loopback port."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest

from bot.operations.metrics import Metrics
from bot.operations.server import OpsServer, parse_listen, start_ops_server

HealthCheck = Callable[[], Awaitable[bool]]


async def _reachable() -> bool:
    return True


async def _unreachable() -> bool:
    return False


async def _raises() -> bool:
    raise ConnectionRefusedError("connection to server at 10.0.0.5 port 5432 failed: password=hunter2")


async def _hangs() -> bool:
    await asyncio.sleep(3600)
    return True


async def _serve(check: HealthCheck, metrics: Metrics | None = None, timeout: float = 2.0) -> OpsServer:
    return await start_ops_server("127.0.0.1", 0, check, metrics=metrics or Metrics(), health_timeout=timeout)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def _url(server: OpsServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def test_healthz_is_ok_when_the_database_answers(http: aiohttp.ClientSession) -> None:
    server = await _serve(_reachable)
    try:
        async with http.get(_url(server, "/healthz")) as response:
            assert response.status == 200
            assert response.content_type == "application/json"
            assert json.loads(await response.text()) == {"status": "ok", "database": "ok"}
    finally:
        await server.close()


@pytest.mark.parametrize("check", [_unreachable, _raises, _hangs], ids=["false", "raises", "hangs"])
async def test_healthz_is_503_when_the_database_does_not_answer(
    http: aiohttp.ClientSession, check: HealthCheck, caplog: pytest.LogCaptureFixture
) -> None:
    server = await _serve(check, timeout=0.2)
    try:
        with caplog.at_level(logging.WARNING):
            async with http.get(_url(server, "/healthz")) as response:
                assert response.status == 503
                assert json.loads(await response.text()) == {
                    "status": "unavailable",
                    "database": "unreachable",
                }
        # A driver's message may carry connection details; the log names the error type only.
        assert "hunter2" not in caplog.text
        if check is _raises:
            assert "ConnectionRefusedError" in caplog.text
    finally:
        await server.close()


async def test_a_hanging_health_check_does_not_hold_up_metrics(http: aiohttp.ClientSession) -> None:
    server = await _serve(_hangs, timeout=5.0)
    try:
        stuck = asyncio.create_task(http.get(_url(server, "/healthz")))
        async with http.get(_url(server, "/metrics")) as response:
            assert response.status == 200
        assert not stuck.done()
        stuck.cancel()
    finally:
        await server.close()


async def test_metrics_are_served_in_prometheus_text_format(http: aiohttp.ClientSession) -> None:
    metrics = Metrics()
    metrics.count_update("text")
    metrics.count_update("text")
    metrics.count_update("command")
    metrics.count_update("sticker")  # not a kind the bot names: counted as other
    metrics.reply_latency.observe(0.012)
    metrics.reply_latency.observe(1.7)
    metrics.checkins_sent.inc(3)
    metrics.checkins_failed.inc()
    metrics.checkins_waiting.set(7)
    metrics.service_child_restarts.inc()
    metrics.update_queue_depth.set(2)
    server = await _serve(_reachable, metrics)
    try:
        async with http.get(_url(server, "/metrics")) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=")
            text = await response.text()
    finally:
        await server.close()
    samples = _samples(text)
    assert samples['grow_coach_updates_handled_total{kind="text"}'] == 2
    assert samples['grow_coach_updates_handled_total{kind="command"}'] == 1
    assert samples['grow_coach_updates_handled_total{kind="choice"}'] == 0
    assert samples['grow_coach_updates_handled_total{kind="other"}'] == 1
    assert samples["grow_coach_reply_latency_seconds_count"] == 2
    assert samples['grow_coach_reply_latency_seconds_bucket{le="0.005"}'] == 0
    assert samples['grow_coach_reply_latency_seconds_bucket{le="0.025"}'] == 1
    assert samples['grow_coach_reply_latency_seconds_bucket{le="5.0"}'] == 2
    assert samples["grow_coach_checkins_sent_total"] == 3
    assert samples["grow_coach_checkins_failed_total"] == 1
    assert samples["grow_coach_checkins_waiting"] == 7
    assert samples["grow_coach_service_child_restarts_total"] == 1
    assert samples["grow_coach_update_queue_depth"] == 2
    assert "# HELP grow_coach_reply_latency_seconds " in text
    assert "# TYPE grow_coach_reply_latency_seconds histogram" in text
    assert samples["process_resident_memory_bytes"] > 0


async def test_other_paths_and_methods_are_refused(http: aiohttp.ClientSession) -> None:
    server = await _serve(_reachable)
    try:
        async with http.get(_url(server, "/")) as response:
            assert response.status == 404
        async with http.get(_url(server, "/metrics/extra")) as response:
            assert response.status == 404
        async with http.post(_url(server, "/metrics"), data=b"x") as response:
            assert response.status == 405
            assert response.headers["Allow"] == "GET, HEAD"
        async with http.head(_url(server, "/healthz")) as response:
            assert response.status == 200
            assert await response.read() == b""
        async with http.get(_url(server, "/healthz?verbose=1")) as response:
            assert response.status == 200
    finally:
        await server.close()


async def test_garbage_gets_400_and_an_oversized_request_is_dropped() -> None:
    server = await _serve(_reachable)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"hello there\r\n\r\n")
        assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
        writer.close()

        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * 20000 + b"\r\n\r\n")
        assert await reader.read() == b""
        writer.close()

        # The server still answers afterwards.
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /healthz HTTP/1.0\r\n\r\n")
        assert (await reader.read()).startswith(b"HTTP/1.1 200 OK\r\n")
        writer.close()
    finally:
        await server.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:9464", ("::1", 9464)),
        ("localhost:9464", ("localhost", 9464)),
    ],
)
def test_listen_addresses(text: str, expected: tuple[str, int] | None) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9464", ":9464", "localhost:", "localhost:http", "host:0", "host:70000"])
def test_listen_addresses_that_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_listen(text)


def _samples(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found
