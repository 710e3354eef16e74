"""The functional child's JSON codec (`mceval.sandbox.inner.codec`) uses the C scanner and
encoder directly, to keep a forked child's page writes few; it must read and write exactly what
`json` does. Results travel to the supervisor in flat child frames (`mceval.sandbox.inner.wire`)."""

from __future__ import annotations

import json

import pytest

from mceval.sandbox.inner.codec import decode_argument, encode_result
from mceval.sandbox.inner.wire import RESULT, child_frame, split_child_frames

VALUES = [0, -7, 10**30, 1.5, 0.1 + 0.2, float("nan"), float("inf"), True, None, "héllo \"q\" \n", [1, [2, (3, 4)]],
          (1, 2), {"a": [1.0, {"b": None}]}, {1: "int key"}, [], {}, ""]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_encoding_matches_json(value):
    assert encode_result(value) == json.JSONEncoder(allow_nan=True).encode(value)


def test_unserialisable_and_circular_values_fail_and_leave_no_state():
    with pytest.raises(TypeError, match="JSON serializable"):
        encode_result({1, 2})
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        encode_result([loop])
    shared = [1]
    assert encode_result([shared, shared]) == "[[1], [1]]"  # not mistaken for a cycle afterwards


@pytest.mark.parametrize("line", ["[1, 2, 3]", " 5 ", '"a b"', "-1.5e3", "null", '{"k": [true, false]}', "[[]]\r"])
def test_decoding_matches_json(line):
    assert decode_argument(line) == json.loads(line)


@pytest.mark.parametrize("line", ["", "[1, 2", "1 2", "nope", "[1]]"])
def test_bad_argument_is_a_value_error(line):
    with pytest.raises(ValueError):
        decode_argument(line)


def test_result_frame_carries_the_text_unparsed():
    partial = child_frame(RESULT, b"[3, 4]")[:-2]
    buf = bytearray(child_frame(RESULT, encode_result([1, 2]).encode()) + partial)
    assert split_child_frames(buf, 1 << 20) == [("result", b"[1, 2]")]
    assert buf == partial  # an incomplete frame waits for more bytes
