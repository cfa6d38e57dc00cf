"""Reading a users-export file: NDJSON, maybe gzip-compressed, streamed line by line.

The file can be large, so it is never held whole: bytes are decompressed as they arrive
(gzip is detected by its magic bytes ``1f 8b``, whatever the headers say) and each complete
line is parsed and yielded.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

GZIP_MAGIC = b"\x1f\x8b"


class ExportFormatError(ValueError):
    """A line of the export is not a JSON object."""


async def _decompressed(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    stream = aiter(chunks)
    head = b""
    async for chunk in stream:
        head += chunk
        if len(head) >= len(GZIP_MAGIC):
            break
    if not head.startswith(GZIP_MAGIC):
        if head:
            yield head
        async for chunk in stream:
            yield chunk
        return
    # wbits 16+MAX_WBITS: gzip framing. A gzip file may hold several members in a row.
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending: bytes | None = head
    while pending is not None:
        chunk = pending
        while chunk:
            out = decoder.decompress(chunk)
            if out:
                yield out
            chunk = decoder.unused_data
            if chunk:
                decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = await anext(stream, None)
    tail = decoder.flush()
    if tail:
        yield tail
    if not decoder.eof:
        raise ExportFormatError("the gzip stream ended early (truncated download)")


async def ndjson_records(chunks: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    """One dict per non-empty line of the (possibly gzip-compressed) byte stream."""
    pending = b""
    line_no = 0
    async for block in _decompressed(chunks):
        pending += block
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            line_no += 1
            record = _parse(raw, line_no)
            if record is not None:
                yield record
    record = _parse(pending, line_no + 1)
    if record is not None:
        yield record


def _parse(raw: bytes, line_no: int) -> dict[str, Any] | None:
    text = raw.strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ExportFormatError(f"export line {line_no} is not JSON") from exc
    if not isinstance(value, dict):
        raise ExportFormatError(f"export line {line_no} is not a JSON object")
    return value
