"""S1/S3: session ids and resume tokens from the CSPRNG, and constant-time token comparison."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def random_id(bits: int) -> str:
    """``bits`` random bits (rounded up to whole bytes) as URL-safe base64 without padding."""
    return secrets.token_urlsafe((bits + 7) // 8)


def token_digest(token: str) -> bytes:
    """What a store keeps instead of the token: digests of equal length compare in equal time."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def token_matches(token: str, digest: bytes) -> bool:
    return hmac.compare_digest(token_digest(token), digest)
