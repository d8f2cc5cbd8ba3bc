"""Sending on a WebSocket: at once when the client keeps up, bounded when it does not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.websockets import WebSocketState

from atrium.web.ws import Connection


class _Settings:
    ws_queue_size = 5
    ws_keepalive_seconds = 60.0


class _State:
    settings = _Settings()


class _Socket:
    """A WebSocket whose sends complete at once while ``open``, and wait while it is not."""

    def __init__(self, yield_first: bool = False) -> None:
        self.sent: list[str] = []
        self.open = asyncio.Event()
        self.open.set()
        self.yield_first = yield_first  # suspend on a bare yield (asyncio.sleep(0)) first
        self.application_state = WebSocketState.CONNECTED

    async def send(self, message: dict[str, Any]) -> None:
        assert message["type"] == "websocket.send"
        await self.send_text(message["text"])

    async def send_text(self, text: str) -> None:
        if self.yield_first:
            await asyncio.sleep(0)
        await self.open.wait()
        self.sent.append(text)


class _BrokenSocket(_Socket):
    async def send_text(self, text: str) -> None:
        raise RuntimeError('Cannot call "send" once a close message has been sent.')


def _connection(socket: _Socket) -> Any:
    return Connection(websocket=socket, state=_State(), legacy=False)  # type: ignore[arg-type]


async def test_frames_are_written_at_once_without_a_task() -> None:
    # given a client that keeps up
    socket = _Socket()
    connection = _connection(socket)
    tasks = len(asyncio.all_tasks())
    # when frames are sent, then they are on the socket before anything is awaited
    for n in range(3):
        connection.send_next("op", f'{{"data":{{"n":{n}}}}}')
    connection.send_complete("op")
    assert socket.sent == [
        '{"id":"op","type":"next","payload":{"data":{"n":0}}}',
        '{"id":"op","type":"next","payload":{"data":{"n":1}}}',
        '{"id":"op","type":"next","payload":{"data":{"n":2}}}',
        '{"id":"op","type":"complete"}',
    ]
    # and no task, queue or cached frame prefix was left behind
    assert connection._writer is None and connection._frames is None
    assert len(asyncio.all_tasks()) == tasks and connection._prefixes == {}


async def test_a_slow_client_gets_a_bounded_queue_and_control_frames_are_kept() -> None:
    # given a client that has stopped reading (its sends suspend)
    socket = _Socket()
    socket.open.clear()
    connection = _connection(socket)
    # when a subscription produces far more frames than the bound, then completes
    for n in range(100):
        connection.send_next("op", f'{{"data":{{"n":{n}}}}}')
    connection.send_complete("op")
    # then one frame is in flight and only the newest wait behind it, plus the completion
    frames = [frame for _, frame in connection._frames]
    assert len(frames) == 6 and connection.dropped == 94
    assert all('"n":' in f for f in frames[:-1]) and '"n":95' in frames[0]
    assert frames[-1] == '{"id":"op","type":"complete"}'
    # when the client reads again, then everything left arrives in order, and the writer ends
    socket.open.set()
    writer = connection._writer
    await writer
    assert socket.sent[0] == '{"id":"op","type":"next","payload":{"data":{"n":0}}}'
    assert [f.split('"n":')[1][:2] for f in socket.sent[1:-1]] == ["95", "96", "97", "98", "99"]
    assert socket.sent[-1] == '{"id":"op","type":"complete"}'
    assert connection._writer is None and connection._frames is None
    # and the next frame goes out at once again
    connection.send({"type": "ping"})
    assert socket.sent[-1] == '{"type":"ping"}'


async def test_a_slow_client_does_not_hold_up_another() -> None:
    slow, fast = _Socket(), _Socket()
    slow.open.clear()
    first, second = _connection(slow), _connection(fast)
    first.send_next("1", '{"data":1}')
    second.send_next("1", '{"data":1}')
    assert fast.sent == ['{"id":"1","type":"next","payload":{"data":1}}'] and slow.sent == []
    first._writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first._writer


async def test_a_send_that_yields_to_the_loop_is_finished_in_order() -> None:
    # given a transport whose send gives the loop a turn before writing
    socket = _Socket(yield_first=True)
    connection = _connection(socket)
    connection.send_next("op", '{"data":1}')
    connection.send_next("op", '{"data":2}')
    assert socket.sent == [] and connection._writer is not None
    await connection._writer
    assert [f[-11:] for f in socket.sent] == ['{"data":1}}', '{"data":2}}']


async def test_a_cancelled_writer_closes_the_suspended_send() -> None:
    socket = _Socket()
    socket.open.clear()
    connection = _connection(socket)
    connection.send_next("op", '{"data":1}')
    writer = connection._writer
    await asyncio.sleep(0)  # the writer is now waiting on the suspended send
    writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writer
    # the send's wait on the socket was unwound (no waiter left behind), nothing was sent
    assert not socket.open._waiters and socket.sent == []
    assert connection._writer is None and connection._frames is None


async def test_a_failed_send_marks_the_connection_closed_and_later_frames_are_dropped() -> None:
    socket = _BrokenSocket()
    connection = _connection(socket)
    connection.send_next("op", '{"data":1}')  # does not raise
    assert connection.closed
    connection.send_next("op", '{"data":2}')
    assert connection._writer is None and socket.sent == []


async def test_frames_splice_the_operation_id_into_one_serialized_payload() -> None:
    socket = _Socket()
    connection = _connection(socket)
    connection.send_next('we"ird', '{"data":1}')
    assert socket.sent == ['{"id":"we\\"ird","type":"next","payload":{"data":1}}']
    legacy = Connection(websocket=socket, state=_State(), legacy=True)  # type: ignore[arg-type]
    legacy.send_next("7", '{"data":2}')
    assert socket.sent[-1] == '{"id":"7","type":"data","payload":{"data":2}}'


async def test_keepalive_pings_from_a_timer_go_through_a_writer_task() -> None:
    # given a timer callback, outside any task (ASGI servers built on anyio need one)
    socket = _Socket()
    connection = _connection(socket)
    seen: asyncio.Future[tuple[list[str], Any]] = asyncio.get_running_loop().create_future()

    def timer() -> None:
        connection._keepalive()
        seen.set_result((list(socket.sent), connection._writer))

    asyncio.get_running_loop().call_soon(timer)
    sent_at_once, writer = await seen
    connection._timer.cancel()
    # then the ping waited for a writer task, which sent it
    assert sent_at_once == [] and writer is not None
    await writer
    assert socket.sent == ['{"type":"ping"}'] and connection._frames is None


async def test_an_unexpected_send_failure_is_logged_and_closes_the_socket(caplog: Any) -> None:
    class _Failing(_Socket):
        closed_with: tuple[int, str] | None = None

        async def send_text(self, text: str) -> None:
            raise ValueError("boom")

        async def close(self, code: int, reason: str) -> None:
            self.closed_with = (code, reason)

    socket = _Failing()
    connection = _connection(socket)
    connection.send_next("op", '{"data":1}')
    await connection._closing
    assert connection.closed and socket.closed_with == (1011, "Internal error")
    assert "WebSocket send failed" in caplog.text
