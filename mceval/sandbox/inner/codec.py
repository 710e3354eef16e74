"""The functional child's JSON codec. Standard library only (runs inside the sandbox).

A forked child copies every page it writes. The pure-Python layers of `json` (JSONEncoder.encode,
JSONDecoder.decode and their helpers) write ~150 of them on first use, ~0.4 ms a sample; the C
scanner and encoder, built once before the fork, write a few. Output is the same as
`json.JSONEncoder(allow_nan=True).encode` (tuples become lists, non-ASCII escaped), plus numpy
values as their Python equivalents (LeetCode-style judges accept `np.int64(3)` for 3).
"""

from __future__ import annotations

import json
import json.decoder
import json.encoder
import json.scanner
import sys


def _to_json(obj: object) -> object:
    """The encoder's fallback: numpy scalars and arrays as Python values; anything else fails."""
    if type(obj).__module__ == "numpy" and "numpy" in sys.modules:
        try:
            return obj.tolist()  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - reported as not serialisable below
            pass
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_MARKERS: dict = {}  # circular-reference detection; left non-empty by a failed encode, so cleared
if json.encoder.c_make_encoder is not None:
    _c_encode = json.encoder.c_make_encoder(_MARKERS, _to_json, json.encoder.encode_basestring_ascii,
                                            None, ": ", ", ", False, False, True)

    def encode_result(value: object) -> str:
        try:
            return "".join(_c_encode(value, 0))
        finally:
            _MARKERS.clear()
else:  # an interpreter without the _json accelerator
    encode_result = json.JSONEncoder(allow_nan=True, default=_to_json).encode

_scan_json = (json.scanner.c_make_scanner or json.scanner.py_make_scanner)(json.JSONDecoder())
_JSON_SPACE = " \t\n\r"


def decode_argument(line: str) -> object:
    """One JSON value per input line, as `json.loads` reads it."""
    text = line.strip(_JSON_SPACE)
    try:
        value, end = _scan_json(text, 0)
    except StopIteration as stop:
        raise ValueError(f"Expecting value: line 1 column {stop.value + 1}") from None
    if end != len(text):
        raise ValueError(f"Extra data: line 1 column {end + 1}")
    return value
