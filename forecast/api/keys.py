"""Who may read and who may write: one `Authorization: Bearer <key>` scheme, keys compared as digests.

The settings keep only each key's SHA-256 digest (config.key_digest). A presented
key is hashed the same way and compared with every configured digest by
hmac.compare_digest, so the time a check takes says nothing of how much of a key
was right. The scheme name is case-insensitive (RFC 7235, section 2.1); a key sent
without it is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from forecast.config import DIGEST_PREFIX, Settings


def bearer_token(authorization: bytes | str | None) -> bytes | None:
    """The token of `Bearer <token>` (any case of `Bearer`), as the raw header bytes; None for anything else."""
    if authorization is None:
        return None
    raw = authorization.encode("latin-1") if isinstance(authorization, str) else authorization  # headers are latin-1
    scheme, _, token = raw.strip().partition(b" ")
    token = token.strip()
    return token if scheme.lower() == b"bearer" and token else None


class KeyRing:
    """The digests of the write keys and of the read key, and the checks routes and the hot path make."""

    def __init__(self, write_digests: Iterable[str], read_digest: str = "") -> None:
        self._write = tuple(sorted(write_digests))
        self._read = read_digest

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        return cls(settings.write_key_digests, settings.read_key)

    @property
    def writes_enabled(self) -> bool:
        return bool(self._write)

    @property
    def reads_open(self) -> bool:
        return not self._read

    def may_read(self, authorization: bytes | str | None) -> bool:
        """Reads are open without a read key; with one, the read key or any write key is needed."""
        return self.reads_open or _matches_any(authorization, (self._read, *self._write))

    def may_write(self, authorization: bytes | str | None) -> bool:
        return _matches_any(authorization, self._write)


def _matches_any(authorization: bytes | str | None, digests: Iterable[str]) -> bool:
    token = bearer_token(authorization)
    if token is None:
        return False
    presented = (DIGEST_PREFIX + hashlib.sha256(token).hexdigest()).encode()
    found = False
    for digest in digests:  # every digest is compared, a match or not
        found |= hmac.compare_digest(presented, digest.encode())
    return found
