import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

// HTTP basic auth against bcrypt hashes, as exporter-toolkit does it: a
// successful check is remembered (bcrypt at cost 10 takes tens of ms, once
// per scrape otherwise), a failed one never is, and an unknown user costs
// the same bcrypt as a known one so timing does not tell which users exist.

const REMEMBERED = 256;

/** user:password from an Authorization: Basic header, if it is one. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export type BasicAuth = (header: string | undefined) => Promise<boolean>;

export function createBasicAuth(users: ReadonlyMap<string, string>): BasicAuth {
  const remembered = new Set<string>();
  // What an unknown user is checked against: a random password at the cost of the configured hashes.
  const first = users.values().next().value;
  const dummy = first === undefined ? '' : bcrypt.hashSync(randomBytes(16).toString('hex'), bcrypt.getRounds(first));
  return async (header) => {
    const creds = parseBasicAuth(header);
    if (!creds) return false;
    const hash = users.get(creds.user);
    const key = createHash('sha256').update(`${creds.user}\0${creds.password}\0${hash ?? ''}`).digest('base64');
    if (hash !== undefined && remembered.has(key)) return true;
    const ok = await bcrypt.compare(creds.password, hash ?? dummy);
    if (!ok || hash === undefined) return false;
    if (remembered.size >= REMEMBERED) remembered.delete(remembered.values().next().value!);
    remembered.add(key);
    return true;
  };
}
