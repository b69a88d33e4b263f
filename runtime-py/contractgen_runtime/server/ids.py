"""S1/S3: session ids and resume tokens from the CSPRNG, and constant-time token comparison."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def random_id(bits: int) -> str:
    """``bits`` random bits (rounded up to whole bytes) as URL-safe base64 without padding."""
    return secrets.token_urlsafe((bits + 7) // 8)


def token_digest(token: str, owner: str = "") -> bytes:
    """What a store keeps instead of the token: digests of equal length compare in equal time. A2:
    with an owner it is ``sha256(hex(sha256(owner)) + ":" + token)`` (as the TypeScript runtime), so
    the token matches only when its session's owner presents it."""
    bound = token if owner == "" else f"{owner_digest(owner)}:{token}"
    return hashlib.sha256(bound.encode("utf-8", "surrogatepass")).digest()


def token_matches(token: str, digest: bytes, owner: str = "") -> bool:
    """S3/A2: whether ``token``, presented by ``owner``, is the one ``digest`` was made from (constant time)."""
    return hmac.compare_digest(token_digest(token, owner), digest)


def owner_digest(owner: str) -> str:
    """A2: an owner's key as hex (what the Redis store keeps; never the owner's own text)."""
    return hashlib.sha256(owner.encode("utf-8", "surrogatepass")).hexdigest()
