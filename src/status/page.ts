import { createHash } from 'node:crypto';
import { CLIENT_JS } from './client.js';
import type { StatusReport } from './schema.js';

// One self-contained document: inline CSS and script, no external requests,
// so it works air-gapped and behind any proxy. The first report is embedded,
// so the page is complete on load; the script then refreshes it.

const CSS = `
:root { color-scheme: light dark; --bg:#f6f7f9; --card:#fff; --fg:#1b1f24; --muted:#5b6470; --line:#d9dee4;
  --critical:#b3261e; --warning:#9a5b00; --ok:#1e7b34; --unknown:#5b6470; --critical-bg:#fde7e5; --warning-bg:#fff1d6; }
@media (prefers-color-scheme: dark) { :root { --bg:#111418; --card:#1a1e24; --fg:#e6e9ed; --muted:#9aa4af; --line:#2d333b;
  --critical:#ff8a80; --warning:#ffc35c; --ok:#6fd38a; --unknown:#9aa4af; --critical-bg:#3a1c1a; --warning-bg:#3a2c10; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 12px 16px 32px; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; padding: 8px 0 12px; border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 15px; margin: 20px 0 8px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
h3 { display: inline; font-size: 15px; margin: 0; overflow-wrap: anywhere; }
h4 { font-size: 12px; margin: 0 0 4px; color: var(--muted); font-weight: 600; }
.count { margin-left: 6px; font-weight: normal; }
.summary { font-weight: 600; }
.updated { margin-left: auto; color: var(--muted); font-size: 12px; }
.muted { color: var(--muted); overflow-wrap: anywhere; }
.badge { display: inline-block; min-width: 4.5em; text-align: center; padding: 1px 6px; border-radius: 4px; font-size: 11px; font-weight: 700; letter-spacing: .03em; color: #fff; vertical-align: 1px; }
.badge.critical { background: var(--critical); } .badge.warning { background: var(--warning); } .badge.ok { background: var(--ok); } .badge.unknown { background: var(--unknown); }
@media (prefers-color-scheme: dark) { .badge { color: #111; } }
.problems { list-style: none; margin: 0; padding: 0; }
.problem { padding: 8px 10px; margin: 0 0 6px; border-radius: 6px; border-left: 4px solid; overflow-wrap: anywhere; }
.problem.critical { background: var(--critical-bg); border-color: var(--critical); } .problem.warning { background: var(--warning-bg); border-color: var(--warning); }
.stale { padding: 8px 10px; border-radius: 6px; background: var(--warning-bg); border-left: 4px solid var(--warning); }
.none { margin: 0; }
.item { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--ok); border-radius: 6px; padding: 10px 12px; margin: 0 0 8px; min-width: 0; }
.item.critical { border-left-color: var(--critical); } .item.warning { border-left-color: var(--warning); } .item.unknown { border-left-color: var(--unknown); }
summary { cursor: pointer; list-style: none; } details[open] > summary .fdsum { display: none; } summary::-webkit-details-marker { display: none; }
summary .head::before { content: "▸"; color: var(--muted); width: 1em; } details[open] > summary .head::before { content: "▾"; }
.head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 8px; }
.why { margin: 6px 0 0; padding-left: 18px; color: var(--critical); overflow-wrap: anywhere; }
.item.warning .why { color: var(--warning); }
p.why { padding-left: 0; }
.row { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 6px 16px; }
.facts { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 16px; margin: 6px 0 0; padding: 0; }
.facts .k { color: var(--muted); } .facts .v { font-variant-numeric: tabular-nums; }
.spark { flex: none; margin-top: 6px; } .spark rect.ok { fill: var(--ok); } .spark rect.critical { fill: var(--critical); }
.pings { list-style: none; margin: 8px 0 0; padding: 0; display: grid; gap: 6px; } .pings .badge { font-size: 11px; }
.body { margin: 4px 0 0; padding: 6px 8px; max-height: 9em; overflow: auto; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.bar { height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; margin-top: 6px; }
.fill { height: 100%; } .fill.ok { background: var(--ok); } .fill.warning { background: var(--warning); } .fill.critical { background: var(--critical); } .fill.unknown { background: var(--unknown); }
.phasebar { display: flex; height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; margin-top: 8px; }
.ph-resolve { background: #8e6bbf; } .ph-connect { background: #3a87c8; } .ph-tls { background: #2aa198; } .ph-processing { background: #d9932b; } .ph-transfer { background: #6a9b3a; }
.legend { font-size: 12px; } .sw { display: inline-block; width: 8px; height: 8px; border-radius: 2px; margin-right: 4px; }
.meter { margin-top: 8px; } .meter > span { font-variant-numeric: tabular-nums; }
.chips { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; margin: 8px 0 0; padding: 0; }
.chips li { border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; font-size: 12px; }
.chips li.hot { border-color: var(--warning); background: var(--warning-bg); }
.tops { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 8px 16px; margin-top: 8px; }
.tops:empty { display: none; }
.top ol { list-style: none; margin: 0; padding: 0; font-size: 13px; }
.top li { display: grid; grid-template-columns: minmax(3.5em, max-content) minmax(0, 1fr); gap: 0 8px; overflow-wrap: anywhere; } .top .n { text-align: right; font-variant-numeric: tabular-nums; }
.top .name { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.snaps { list-style: none; margin: 0; padding: 0; }
.snaps li { border-bottom: 1px solid var(--line); }
.snaps a { display: flex; flex-wrap: wrap; gap: 2px 10px; padding: 5px 2px; text-decoration: none; }
.snaps a:hover { background: var(--card); }
.snaps .when { color: var(--muted); font-variant-numeric: tabular-nums; } .snaps .reason { flex: 1 1 16em; overflow-wrap: anywhere; } .snaps .handles { font-variant-numeric: tabular-nums; }
.baselines h4 { margin: 14px 0 2px; color: var(--muted); }
.changes ul { margin: 0; padding-left: 18px; font-size: 13px; } .changes .change { overflow-wrap: anywhere; }
.snapshot .reason { margin: 4px 0 8px; } .snaplink { margin: 6px 0 0; font-size: 13px; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
a { color: inherit; }
@media (max-width: 600px) { main { padding: 8px 10px 24px; } .tops { grid-template-columns: 1fr; } .updated { margin-left: 0; width: 100%; } }
`;

/** Content-Security-Policy allowing exactly our inline script and style, nothing external. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(CLIENT_JS).digest('base64')}'`,
  `style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Inside <script>, "</script" or "<!--" in a string would end the element:
// \u003c keeps the JSON equal and inert.
function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function renderStatusPage(report: StatusReport): string {
  const title = `${report.problems.length ? `(${report.problems.length}) ` : ''}sockeye status`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${CSS}</style>
</head>
<body>
<div id="app"><noscript><p>This page needs JavaScript; the same data is at <a href="api/status">api/status</a>.</p></noscript></div>
<script type="application/json" id="status-data">${embedJson(report)}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}
