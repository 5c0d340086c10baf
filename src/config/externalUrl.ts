import { z } from 'zod';
import { describe } from './errors.js';

// Where people reach this sockeye (its status page), as seen from outside a
// proxy or ingress: the alert annotations link to the snapshots there. Kept
// with a trailing slash, so "#snapshots" and relative paths append to it.
export const externalUrlSchema = z
  .string({ error: 'expected an http:// or https:// URL such as "https://sockeye.example/"' })
  .transform((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL such as "https://sockeye.example/", got ${describe(text)}` });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got ${describe(text)}` });
      return z.NEVER;
    }
    // Credentials would end up in every alert notification (and are not echoed here); a query or fragment would break the links built on it.
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'expected a URL without credentials: it is shown in alert notifications' });
      return z.NEVER;
    }
    if (url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: `expected a URL without a query or fragment (links to snapshots are appended to it), got ${describe(text)}` });
      return z.NEVER;
    }
    return url.pathname.endsWith('/') ? url.href : `${url.href}/`;
  })
  .optional();
