"""Reading a whole text file as users have them: UTF-8 with or without a byte-order mark, UTF-16
with one, optionally gzipped. Shared by the dataset readers and the evaluator's file inputs, so an
undecodable or truncated file fails the same way (one error naming the file) everywhere."""

from __future__ import annotations

import codecs
import gzip
import zlib
from pathlib import Path
from typing import IO


class InputFileError(ValueError):
    """A whole input file is unusable (corrupt or truncated archive, not JSON, not Parquet)."""


def open_raw(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def text_encoding(head: bytes) -> str:
    """UTF-16 when the file starts with its byte-order mark, else UTF-8 (a UTF-8 BOM is skipped)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def archive_error(path: Path, exc: BaseException, after: str) -> InputFileError:
    return InputFileError(f"{path}: truncated or corrupt compressed file ({type(exc).__name__}: {exc}) after {after}")


ARCHIVE_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def read_text_file(path: str | Path) -> str:
    """A whole text file (UTF-8, optionally with a BOM, or UTF-16 with one), gunzipped when its name
    ends in .gz; raises InputFileError naming the file when it cannot be decoded."""
    path = Path(path)
    try:
        with open_raw(path) as fh:
            data = fh.read()
    except ARCHIVE_ERRORS as exc:
        raise archive_error(path, exc, "reading") from None
    try:
        return data.decode(text_encoding(data[:4]))
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save it as UTF-8"
        ) from None
