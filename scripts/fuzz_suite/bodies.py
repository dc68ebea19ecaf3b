"""Bytes of request bodies: compact JSON, gzip (and gzip bombs), Unicode forms, ids."""

from __future__ import annotations

import hashlib
import json
import struct
import unicodedata
import zlib
from collections.abc import Iterable
from typing import Any


def encode(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def gzip_bytes(data: bytes) -> bytes:
    """A gzip member of `data`."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def gzip_bomb(gibibytes: int = 1) -> Iterable[bytes]:
    """A gzip stream of `gibibytes` GiB of zeros, about 1 MiB per GiB, generated chunk by
    chunk: a full-flushed deflate block of 1 MiB of zeros is the same bytes every time."""
    zeros = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = compressor.flush(zlib.Z_FINISH)
    crc = 0
    count = gibibytes * 1024
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    batch = block * 64
    for _ in range(0, count, 64):
        yield batch
        for _ in range(64):
            crc = zlib.crc32(zeros, crc)
    yield final + struct.pack("<II", crc, (count << 20) & 0xFFFFFFFF)


def nfd(text: str) -> str:
    """`text` decomposed (not NFC whenever it has composed characters)."""
    return unicodedata.normalize("NFD", text)


def article_id(text: str) -> str:
    """An article's id: the first 16 bytes of SHA-256 of its NFC text, in hex."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode()).hexdigest()[:32]


def clone(value: Any) -> Any:
    """A deep copy of a JSON value."""
    return json.loads(json.dumps(value))


def selector(text: str, start: int, end: int) -> dict:
    """A TextQuoteSelector + TextPositionSelector for text[start:end] (scalar offsets)."""
    return {"end": end, "exact": text[start:end], "prefix": text[max(0, start - 32):start], "start": start,
            "suffix": text[end:end + 32]}


def deep(depth: int) -> bytes:
    """Arrays nested `depth` deep."""
    return b"[" * depth + b"]" * depth
