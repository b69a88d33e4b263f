/**
 * S1/S3: session ids and resume tokens from the CSPRNG, and constant-time token comparison.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `bits` random bits (rounded up to whole bytes) as URL-safe base64 without padding. */
export function randomId(bits: number): string {
  return randomBytes(Math.ceil(bits / 8)).toString('base64url');
}

/**
 * The digest a registry keeps instead of the token itself: comparing digests of equal length
 * with timingSafeEqual takes the same time whatever the token's length or content.
 */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function tokenMatches(token: string, digest: Buffer): boolean {
  return timingSafeEqual(tokenDigest(token), digest);
}
