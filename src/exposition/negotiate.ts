// Which exposition format a scraper asked for, from its Accept header.
// Prometheus sends, by preference:
//   application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,
//   text/plain;version=0.0.4;q=0.5,*/*;q=0.1
// A browser or curl sends */* (or nothing) and gets the classic text format.

export type Format = 'text' | 'openmetrics';

export const CONTENT_TYPES: Record<Format, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

export interface MediaRange {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
}

/** Splits an Accept header into media ranges; malformed entries are dropped. */
export function parseAccept(header: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const entry of header.split(',')) {
    const [range = '', ...rawParams] = entry.split(';').map((s) => s.trim());
    const m = /^([\w.+*-]+)\/([\w.+*-]+)$/.exec(range);
    if (!m) continue;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq <= 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      if (key === 'q') {
        const n = Number(value);
        q = /^\d+(\.\d+)?$/.test(value) && n <= 1 ? n : NaN;
      } else params[key] = value;
    }
    if (!Number.isNaN(q)) out.push({ type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), params, q });
  }
  return out;
}

interface Offer {
  format: Format;
  type: string;
  subtype: string;
  version: string;
}

// Listed in order of preference when a client likes both equally.
const OFFERS: Offer[] = [
  { format: 'text', type: 'text', subtype: 'plain', version: '0.0.4' },
  { format: 'openmetrics', type: 'application', subtype: 'openmetrics-text', version: '1.0.0' },
];

/** How specifically a range names an offer (higher wins), or -1 if it does not match it. */
function specificity(range: MediaRange, offer: Offer): number {
  if (range.type === '*' && range.subtype === '*') return 0;
  if (range.type !== offer.type) return -1;
  if (range.subtype === '*') return 1;
  if (range.subtype !== offer.subtype) return -1;
  const version = range.params.version;
  if (version === undefined) return 2;
  return version === offer.version ? 3 : -1;
}

/**
 * The format to answer with: each offer gets the q of the most specific range
 * matching it (RFC 9110 §12.5.1); the highest q wins, text on a tie. With no
 * acceptable offer the text format is sent anyway, as Prometheus' own
 * exporters do, rather than a 406 a scraper could not use.
 */
export function negotiateFormat(accept: string | undefined): Format {
  if (!accept) return 'text';
  const ranges = parseAccept(accept);
  let best: Format = 'text';
  let bestQ = -1;
  for (const offer of OFFERS) {
    let q = 0;
    let spec = -1;
    for (const range of ranges) {
      const s = specificity(range, offer);
      if (s > spec) {
        spec = s;
        q = range.q;
      }
    }
    if (spec >= 0 && q > 0 && q > bestQ) {
      best = offer.format;
      bestQ = q;
    }
  }
  return best;
}
