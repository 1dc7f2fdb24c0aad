"""Opaque keyset-pagination cursors: the sort key of a page's last row, in URL-safe base64."""
from __future__ import annotations

import base64
import binascii
import json

from dsar.api.errors import ApiError


def encode_cursor(*key) -> str:
    """The cursor after a row whose sort key is `key` (JSON-serialisable values)."""
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *types) -> tuple:
    """The sort key in `cursor`, each value converted by the matching callable in `types`.

    Raises ApiError 400 for anything this API did not hand out.
    """
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"==="))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong length")
        return tuple(convert(value) for convert, value in zip(types, values))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "bad_request", "the cursor is not one this API returned") from None
