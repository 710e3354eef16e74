"""Byte formats on the sandbox's channels. Standard library only (runs inside the sandbox).

Grader <-> supervisor (both ends trusted code): an 8-byte header (two little-endian u32: JSON
length, blob length), a UTF-8 JSON object, then the blob (raw stdout bytes, or a result's JSON text).

Test child -> supervisor (the child end runs untrusted code, so ANY bytes may arrive): a 5-byte
header (u8 kind, little-endian u32 payload length) then the payload, which the supervisor never
parses: a result's JSON text is forwarded as a blob, other payloads are `type NUL message` text.
A flat format without nesting, so no byte sequence can make the reader recurse or allocate more
than its cap.
"""

from __future__ import annotations

import json
import os
import struct

FRAME_HEADER = struct.Struct("<II")  # JSON length, blob length
# Bound once, so test code that patches the json module cannot change our framing.
_dumps, _loads = json.JSONEncoder(separators=(",", ":")).encode, json.JSONDecoder().decode


def frame(obj: dict, blob: bytes = b"") -> bytes:
    data = _dumps(obj).encode()
    return FRAME_HEADER.pack(len(data), len(blob)) + data + blob


def write_all(fd: int, data: bytes) -> None:
    buf = memoryview(data)
    while buf:
        buf = buf[os.write(fd, buf):]


def send_msg(fd: int, obj: dict, blob: bytes = b"") -> None:
    write_all(fd, frame(obj, blob))


def _read_exact(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_msg(fd: int, max_bytes: int = 1 << 31) -> tuple[dict, bytes]:
    """One frame, blocking; a frame announcing more than `max_bytes` raises ValueError."""
    n_json, n_blob = FRAME_HEADER.unpack(_read_exact(fd, FRAME_HEADER.size))
    if n_json + n_blob > max_bytes:
        raise ValueError(f"message of {n_json + n_blob} bytes exceeds the cap of {max_bytes}")
    obj = _loads(_read_exact(fd, n_json).decode())
    if not isinstance(obj, dict):
        raise ValueError("a frame must hold a JSON object")
    blob = _read_exact(fd, n_blob) if n_blob else b""
    return obj, blob


def split_frames(buf: bytearray, max_bytes: int = 1 << 31) -> list[tuple[bytes, bytes]]:
    """Remove the complete frames at the head of `buf` and return them as (JSON bytes, blob)
    pairs; a frame announcing more than `max_bytes` raises ValueError."""
    frames = []
    while len(buf) >= FRAME_HEADER.size:
        n_json, n_blob = FRAME_HEADER.unpack_from(buf)
        if n_json + n_blob > max_bytes:
            raise ValueError(f"message of {n_json + n_blob} bytes exceeds the cap of {max_bytes}")
        end = FRAME_HEADER.size + n_json + n_blob
        if len(buf) < end:
            break
        frames.append((bytes(buf[FRAME_HEADER.size:FRAME_HEADER.size + n_json]),
                       bytes(buf[FRAME_HEADER.size + n_json:end])))
        del buf[:end]
    return frames


# ------------------------------------------------------------------------ test child -> supervisor
CHILD_HEADER = struct.Struct("<BI")  # kind, payload length
READY, RESULT, EXCEPTION, NOT_SERIALISABLE, NO_ENTRY = 1, 2, 3, 4, 5
KIND_NAMES = {READY: "ready", RESULT: "result", EXCEPTION: "exception", NOT_SERIALISABLE: "not_serialisable",
              NO_ENTRY: "no_entry"}


class MalformedFrame(ValueError):
    """The child wrote bytes that are not a frame (unknown kind, or a length over the cap)."""


def child_frame(kind: int, payload: bytes = b"") -> bytes:
    return CHILD_HEADER.pack(kind, len(payload)) + payload


def failure_frame(kind: int, exc_type: str, message: str) -> bytes:
    return child_frame(kind, f"{exc_type}\0{message}".encode("utf-8", "replace"))


def split_child_frames(buf: bytearray, max_bytes: int) -> list[tuple[str, bytes]]:
    """Remove the complete child frames at the head of `buf`: (kind name, payload) pairs. Raises
    MalformedFrame on an unknown kind or a payload over `max_bytes`, before buffering it."""
    frames = []
    while len(buf) >= CHILD_HEADER.size:
        kind, n = CHILD_HEADER.unpack_from(buf)
        name = KIND_NAMES.get(kind)
        if name is None or n > max_bytes:
            raise MalformedFrame(f"malformed result frame (kind {kind}, {n} bytes)")
        end = CHILD_HEADER.size + n
        if len(buf) < end:
            break
        frames.append((name, bytes(buf[CHILD_HEADER.size:end])))
        del buf[:end]
    return frames


def failure_fields(payload: bytes) -> dict:
    """`exc_type` and `error` of a failure payload (any bytes: never raises)."""
    exc_type, _, message = payload.decode("utf-8", "replace").partition("\0")
    return {"exc_type": exc_type[:200], "error": message[:2000]}
