"""Page statements are built once per base statement and shape, their values bound."""

from __future__ import annotations

import gc
from itertools import combinations
from typing import Any

from sqlalchemy import Select, select

from atrium.core import pagination
from atrium.core.pagination import ConnectionArgs, _Shape, _window, encode_cursor
from atrium.models.threads import Message

COLUMNS = frozenset({"content"})


def _page_statement(base: Select[Any], args: ConnectionArgs) -> Select[Any]:
    return _window(Message, base, "thread_id", _Shape.of(args), True, COLUMNS).query


def test_pages_of_one_shape_share_a_statement_whatever_their_values() -> None:
    # given a base statement
    base = select(Message)
    # when pages of the same shape but other sizes and cursors are asked for
    first = _page_statement(base, ConnectionArgs.of(first=2, after=encode_cursor("msg_1")))
    again = _page_statement(base, ConnectionArgs.of(first=9, after=encode_cursor("msg_7")))
    # then they share one statement, and another shape gets its own
    assert again is first
    assert _page_statement(base, ConnectionArgs.of(first=2)) is not first
    assert _page_statement(base, ConnectionArgs.of(last=2)) is not first
    # and none of the values is in it: they are parameters
    sql = str(first)
    assert "msg_1" not in sql and ":page_after" in sql and ":page_end" in sql


def test_the_statements_go_with_their_base_statement() -> None:
    # given the page statements of a base statement built for one call
    base = select(Message)
    _page_statement(base, ConnectionArgs.of(first=2))
    held = len(pagination._WINDOWS)
    # when the base statement is gone
    del base
    gc.collect()
    # then so are its page statements
    assert len(pagination._WINDOWS) == held - 1


def test_a_base_statement_keeps_a_bounded_number_of_page_statements() -> None:
    # given a base statement, and pages asking for ever other sets of columns
    base = select(Message)
    names = ["role", "content", "parts", "status", "model", "error", "created_at"]
    column_sets = [frozenset(c) for c in combinations(names, 3)]  # 35 of them
    assert len(column_sets) > pagination._WINDOWS_PER_STATEMENT
    for columns in column_sets:
        _window(Message, base, "thread_id", _Shape.of(ConnectionArgs.of(first=2)), True, columns)
    # then it keeps no more than its bound of them
    assert len(pagination._WINDOWS[base]) == pagination._WINDOWS_PER_STATEMENT
