import { z } from 'zod';
import { parseDuration } from './duration.js';
import { describe } from './errors.js';

// Shared field types so every section reports bad input the same way.

/** A duration string ("15s", "1h") or number of seconds, parsed to ms. */
export const duration = z
  .union([z.string(), z.number()], { error: 'expected a duration such as "15s", "5m" or "1h"' })
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "15s", "5m" or "1h", got ${describe(value)}` });
      return z.NEVER;
    }
    return ms;
  });

/** A regular expression source, compiled at load time so mistakes surface then. */
export const regex = z.string({ error: 'expected a regular expression string' }).superRefine((src, ctx) => {
  try {
    new RegExp(src);
  } catch (err) {
    // V8 says "Invalid regular expression: /src/flags: reason"; keep the reason, quote the source once.
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${reason.charAt(0).toLowerCase()}${reason.slice(1)} in ${JSON.stringify(src)}` });
  }
});

/** host:port, with IPv6 hosts in brackets ([::1]:9855). */
export const hostPort = z.string({ error: 'expected host:port' }).superRefine((text, ctx) => {
  if (splitHostPort(text) === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected host:port (IPv6 in brackets, e.g. [::1]:9855), got ${describe(text)}` });
  }
});

export function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 0 || port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

/** A name used as a label value and in URLs: no spaces or slashes. */
export const name = z
  .string({ error: 'expected a name' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a name of letters, digits, "_", "." or "-" (at most 128, starting with a letter or digit)');
