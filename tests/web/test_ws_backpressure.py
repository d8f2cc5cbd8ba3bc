"""A WebSocket client that stops reading cannot grow the server's memory."""

from __future__ import annotations

from typing import Any

from atrium.web.ws import Connection


class _Settings:
    ws_queue_size = 5


class _State:
    settings = _Settings()


def test_outgoing_frames_are_bounded_and_control_frames_are_kept() -> None:
    # given a connection whose client reads nothing
    connection = Connection(websocket=None, state=_State(), legacy=False)  # type: ignore[arg-type]
    # when a subscription produces far more frames than the bound, then completes
    for n in range(100):
        connection.send_next("op", f'{{"data":{{"n":{n}}}}}')
    connection.send_complete("op")
    # then only the newest frames wait, plus the completion, which is never dropped
    frames = [frame for _, frame in connection._frames]
    assert len(frames) == 6 and connection.dropped == 95
    assert '"n":99' in frames[-2] and frames[-1] == '{"id":"op","type":"complete"}'
    assert all('"n":' in f for f in frames[:-1]) and '"n":95' in frames[0]


def test_frames_splice_the_operation_id_into_one_serialized_payload() -> None:
    connection: Any = Connection(websocket=None, state=_State(), legacy=False)  # type: ignore[arg-type]
    connection.send_next('we"ird', '{"data":1}')
    assert connection._frames[0][1] == '{"id":"we\\"ird","type":"next","payload":{"data":1}}'
