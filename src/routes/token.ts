import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

// One way to present and check a shared secret for every route that takes
// one (pings, status page): Authorization: Bearer, or ?token= for cron
// one-liners that cannot set headers.

/** The token a request presents, if any. */
export function presentedToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  if (m) return m[1];
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : undefined;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Constant time in content and length: equal-length digests are compared, never the strings. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}
