/**
 * S1/S3: session ids and resume tokens from the CSPRNG, and constant-time token comparison. A2:
 * the digest binds the token to the session's owner, so a resume needs both the token and the
 * principal that created the session — one comparison, the same answer for either mismatch.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `bits` random bits (rounded up to whole bytes) as URL-safe base64 without padding. */
export function randomId(bits: number): string {
  return randomBytes(Math.ceil(bits / 8)).toString('base64url');
}

/**
 * The digest a registry keeps instead of the token itself: comparing digests of equal length
 * with timingSafeEqual takes the same time whatever the token's length or content. With an
 * owner (A2) it is `sha256(hex(sha256(owner)) + ":" + token)`; anonymous sessions (owner '')
 * keep `sha256(token)`.
 */
export function tokenDigest(token: string, owner = ''): Buffer {
  const bound = owner === '' ? token : `${ownerDigest(owner)}:${token}`;
  return createHash('sha256').update(bound, 'utf8').digest();
}

/** S3/A2: whether `token`, presented by `owner`, is the one `digest` was made from (constant time). */
export function tokenMatches(token: string, digest: Buffer, owner = ''): boolean {
  return timingSafeEqual(tokenDigest(token, owner), digest);
}

/** A2: the key of an owner's index of sessions (hex; never the owner's own text). */
export function ownerDigest(owner: string): string {
  return createHash('sha256').update(owner, 'utf8').digest('hex');
}

/**
 * Ids unique among every process that shares a store, but not secret: a random prefix (`bits` from
 * the CSPRNG, once) and a counter. For ids that only need to tell operations apart (C2: the
 * hand-off that set acked), where the CSPRNG per id cost ~1.8 µs on the acknowledged-send path.
 */
export function createIdSequence(bits: number): () => string {
  const prefix = `${randomId(bits)}.`;
  let next = 0;
  return () => prefix + (next++).toString(36);
}
