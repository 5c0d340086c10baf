// The page's only script, as text: it renders a StatusReport (see schema.ts)
// into #app and refreshes it from api/status. Plain ES2020 with no
// dependencies; every value is put in with textContent, never innerHTML, so
// a path or peer name can't inject markup. No backticks in here: this whole
// file is one template literal (its one substitution: a number).
import { PING_BODY_LIMIT } from '../heartbeats/record.js';

export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var REFRESH_MS = 5000;
  // A longer ping body is cut to its first this many bytes when it comes.
  var PING_BODY_LIMIT = ${PING_BODY_LIMIT};
  var app = document.getElementById('app');
  var current = JSON.parse(document.getElementById('status-data').textContent);
  var fetchedAt = Date.now();
  var lastError = null;
  // A token given as ?token= is sent as a header on refresh; it is never
  // written into the document.
  var token = new URLSearchParams(location.search).get('token');

  var LABEL = { critical: 'CRITICAL', warning: 'WARNING', unknown: 'UNKNOWN', ok: 'OK' };
  // late means past period + grace: what an operator calls missed.
  var HEARTBEAT = { up: 'UP', grace: 'GRACE', late: 'MISSED', failed: 'FAILED', never: 'NO PING YET' };

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (attrs[k] === null || attrs[k] === undefined) continue;
      if (k === 'text') el.textContent = attrs[k]; else el.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(el, c); }); return; }
    el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  function svg(tag, attrs) {
    var el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var k in attrs) el.setAttribute(k, attrs[k]);
    return el;
  }

  function age(s) {
    if (s === null || s === undefined) return 'never';
    if (s < 90) return Math.round(s) + 's';
    if (s < 5400) return Math.round(s / 60) + 'm';
    if (s < 129600) return (Math.round(s / 360) / 10) + 'h';
    return (Math.round(s / 8640) / 10) + 'd';
  }
  function since(iso) {
    if (!iso) return 'never';
    return age(Math.max(0, (Date.parse(current.generatedAt) - Date.parse(iso)) / 1000)) + ' ago';
  }
  function bytes(n) {
    if (n === null || n === undefined) return '?';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
  }
  // A configured period: exact units ("1h", "90s"), not a rounded age.
  function dur(s) {
    var units = [[604800, 'w'], [86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']];
    for (var i = 0; i < units.length; i++) if (s >= units[i][0] && s % units[i][0] === 0) return (s / units[i][0]) + units[i][1];
    return s < 1 ? Math.round(s * 1000) + 'ms' : s + 's';
  }
  function ms(seconds) {
    if (seconds === null || seconds === undefined) return '?';
    return seconds < 1 ? Math.round(seconds * 1000) + ' ms' : seconds.toFixed(2) + ' s';
  }
  function num(n) { return n === null || n === undefined ? '?' : n.toLocaleString('en-US'); }

  function badge(severity, text) {
    return h('span', { class: 'badge ' + severity, text: text || LABEL[severity] });
  }
  function bar(ratio, severity, label) {
    var pct = Math.max(0, Math.min(1, ratio || 0)) * 100;
    var fill = h('div', { class: 'fill ' + severity });
    // CSSOM, not a style attribute: the page's CSP allows no inline style attributes.
    fill.style.width = pct.toFixed(1) + '%';
    return h('div', { class: 'bar', role: 'img', 'aria-label': label }, fill);
  }
  function facts(list) {
    return h('ul', { class: 'facts' }, list.filter(Boolean).map(function (f) {
      return h('li', null, h('span', { class: 'k', text: f[0] }), ' ', h('span', { class: 'v', text: f[1] }));
    }));
  }
  function section(id, title, count, body) {
    return h('section', { id: id }, h('h2', null, title, count === null ? null : h('span', { class: 'count', text: String(count) })), body);
  }

  function sparkline(runs) {
    var W = 120, H = 24, n = Math.max(runs.length, 20), w = W / n;
    var max = runs.reduce(function (m, r) { return Math.max(m, r.durationSeconds); }, 0) || 1;
    var failed = runs.filter(function (r) { return !r.ok; }).length;
    var label = runs.length + ' recent runs: ' + (runs.length - failed) + ' passed, ' + failed + ' failed';
    var s = svg('svg', { class: 'spark', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': label });
    var t = svg('title', {}); t.textContent = label; s.appendChild(t);
    runs.forEach(function (r, i) {
      var bh = r.ok ? 3 + (H - 3) * (r.durationSeconds / max) : H;
      var rect = svg('rect', { x: ((n - runs.length + i) * w + 0.5).toFixed(2), y: (H - bh).toFixed(2), width: Math.max(1, w - 1).toFixed(2), height: bh.toFixed(2), class: r.ok ? 'ok' : 'critical' });
      var rt = svg('title', {}); rt.textContent = r.at + ': ' + (r.ok ? 'passed' : 'failed') + ' in ' + ms(r.durationSeconds);
      rect.appendChild(rt); s.appendChild(rect);
    });
    return s;
  }

  function problems(d) {
    if (d.problems.length === 0) return section('problems', 'Problems', 0, h('p', { class: 'none' }, badge('ok'), ' Nothing needs attention.'));
    return section('problems', 'Problems', d.problems.length, h('ul', { class: 'problems' }, d.problems.map(function (p) {
      return h('li', { class: 'problem ' + p.severity }, badge(p.severity), ' ', h('b', { text: p.kind + ' ' + p.name }), ' ', h('span', { text: p.message }));
    })));
  }

  // An http check's last run by phase: one stacked bar, and the seconds of each.
  var PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'];
  function phases(p) {
    if (!p) return null;
    var total = PHASES.reduce(function (a, k) { return a + p[k]; }, 0);
    var label = 'last run by phase: ' + PHASES.map(function (k) { return k + ' ' + ms(p[k]); }).join(', ');
    return h('div', { class: 'phases' },
      h('div', { class: 'phasebar', role: 'img', 'aria-label': label }, PHASES.map(function (k) {
        var seg = h('span', { class: 'ph ph-' + k, 'data-phase': k, title: k + ' ' + ms(p[k]) });
        seg.style.width = (total > 0 ? (p[k] / total) * 100 : 0).toFixed(2) + '%';
        return seg;
      })),
      h('ul', { class: 'facts legend' }, PHASES.map(function (k) {
        return h('li', { 'data-phase': k }, h('span', { class: 'sw ph-' + k }), h('span', { class: 'k', text: k }), ' ', h('span', { class: 'v', text: ms(p[k]) }));
      })));
  }

  function checks(d) {
    if (d.checks.length === 0) return null;
    return section('checks', 'Checks', d.checks.length, d.checks.map(function (c) {
      return h('article', { class: 'item ' + c.severity, 'data-name': c.name },
        h('div', { class: 'head' }, badge(c.severity, c.state.toUpperCase()), ' ', h('h3', { text: c.name }), ' ', h('span', { class: 'muted', text: c.type + ' ' + c.target })),
        c.state === 'failing' ? h('p', { class: 'why', text: [c.reason, c.message].filter(Boolean).join(': ') }) : null,
        h('div', { class: 'row' },
          facts([['last run', c.running ? 'running now' : since(c.lastRunAt)], ['last success', since(c.lastSuccessAt)], ['latency', ms(c.latencySeconds)], ['every', dur(c.intervalSeconds)],
            c.certExpiresAt && ['cert expires', c.certExpiresAt.slice(0, 10)], c.answerRecords !== null && c.answerRecords !== undefined && ['answer records', num(c.answerRecords)]]),
          sparkline(c.recent)),
        phases(c.phases));
    }));
  }

  // The last few pings with the tail of their bodies: what a person debugs a failed job with.
  var PINGS_SHOWN = 5;
  function pingLog(b) {
    if (!b.recentPings || b.recentPings.length === 0) return null;
    return h('ol', { class: 'pings' }, b.recentPings.slice(0, PINGS_SHOWN).map(function (p) {
      var what = p.kind === 'success' || p.kind === 'fail' ? p.kind + (p.exitStatus !== null ? ' (exit ' + p.exitStatus + ')' : '') : p.kind;
      var cls = p.kind === 'fail' ? 'critical' : p.kind === 'success' ? 'ok' : 'unknown';
      return h('li', { 'data-seq': String(p.seq) },
        h('div', null, badge(cls, what.toUpperCase()), ' ', h('span', { class: 'v', text: since(p.at) }),
          h('span', { class: 'muted', text: ' ' + p.method + ' from ' + p.source + (p.rid ? ' · run ' + p.rid.slice(0, 8) : '') + (p.durationSeconds !== null ? ' · took ' + ms(p.durationSeconds) : '') + (p.bodyBytes ? ' · ' + bytes(p.bodyBytes) + (p.bodyBytes > PING_BODY_LIMIT ? ', only the first ' + PING_BODY_LIMIT + ' bytes kept' : '') : '') })),
        p.body !== null ? h('pre', { class: 'body', text: (p.bodyTruncated ? '…' : '') + p.body }) : null);
    }));
  }

  function heartbeats(d) {
    if (d.heartbeats.length === 0) return null;
    return section('heartbeats', 'Heartbeats', d.heartbeats.length, d.heartbeats.map(function (b) {
      var limit = b.periodSeconds !== null ? b.periodSeconds + b.graceSeconds : null;
      var ratio = b.ageSeconds === null || !limit ? 0 : b.ageSeconds / limit;
      var expected = b.periodSeconds !== null ? ['expected every', dur(b.periodSeconds) + ' + ' + dur(b.graceSeconds) + ' grace'] : ['schedule', b.schedule + ' (' + b.timezone + ') + ' + dur(b.graceSeconds) + ' grace'];
      return h('article', { class: 'item ' + b.severity, 'data-name': b.name },
        h('div', { class: 'head' }, badge(b.severity, HEARTBEAT[b.state] || b.state.toUpperCase()), ' ', h('h3', { text: b.name }), b.running ? h('span', { class: 'muted', text: 'running now' }) : null),
        facts([['last success', since(b.lastSuccessAt)], expected, b.deadlineAt && ['late after', b.deadlineAt.replace('T', ' ').slice(0, 16) + ' UTC'], b.lastFailAt && ['last failure', since(b.lastFailAt)],
          b.lastExitStatus !== null && b.lastExitStatus !== 0 && ['exit status', String(b.lastExitStatus)], b.lastStartAt && ['last start', since(b.lastStartAt)],
          b.lastDurationSeconds !== null && ['last run took', ms(b.lastDurationSeconds)]]),
        limit ? bar(Math.min(ratio, 1), b.severity, 'age ' + age(b.ageSeconds) + ' of ' + age(limit)) : null,
        pingLog(b));
    }));
  }

  function chips(list, cls) {
    return h('ul', { class: 'chips' }, list.map(function (c) {
      return h('li', { class: cls ? cls(c) : null }, h('span', { text: c[0] }), ' ', h('b', { text: num(c[1]) }));
    }));
  }
  function table(title, rows) {
    if (rows.length === 0) return null;
    return h('div', { class: 'top' }, h('h4', { text: title }), h('ol', null, rows.map(function (r) {
      return h('li', null, h('b', { class: 'n', text: typeof r[0] === 'number' ? num(r[0]) : r[0] }), h('span', null, h('span', { class: 'name', text: r[1] }), r[2] ? h('span', { class: 'muted', text: ' ' + r[2] }) : null));
    })));
  }

  // A target's stored snapshots, one link away: the evidence of its last incidents.
  function snapshotsOf(name) {
    var n = (snapList || []).filter(function (s) { return s.target === name && s.reason.kind !== 'baseline'; }).length;
    if (n === 0) return null;
    return h('p', { class: 'snaplink' }, h('a', { href: '#snapshots?target=' + encodeURIComponent(name), text: n + ' snapshot' + (n === 1 ? '' : 's') + ' of ' + name }));
  }

  // Targets a person opened or closed stay so across refreshes.
  var userOpen = {};

  function targets(d) {
    if (d.targets.length === 0) return section('targets', 'Targets', 0, h('p', { class: 'none', text: 'No targets.' }));
    return section('targets', 'Targets', d.targets.length, d.targets.map(function (t) {
      var fdSev = t.fdUsageRatio === null ? 'unknown' : t.fdUsageRatio >= 0.9 ? 'critical' : t.fdUsageRatio >= 0.75 ? 'warning' : 'ok';
      var memRatio = t.memoryLimitBytes && t.residentMemoryBytes !== null ? t.residentMemoryBytes / t.memoryLimitBytes : null;
      // Fullest accept queues first; a server with many ports lists a few.
      var listen = t.listen.slice().sort(function (a, b) { return (b.backlog ? b.queue / b.backlog : 0) - (a.backlog ? a.queue / a.backlog : 0) || a.port - b.port; });
      var pctText = t.fdUsageRatio !== null ? Math.round(t.fdUsageRatio * 100) + '%' : '?';
      // The limit is per process: with several, the total is not compared to it; the fullest process is.
      var fdText = t.processes > 1
        ? 'fds ' + num(t.openFds) + ' in ' + t.processes + ' processes, fullest at ' + pctText + ' of its limit (lowest limit ' + num(t.maxFds) + ')'
        : 'fds ' + num(t.openFds) + ' / ' + num(t.maxFds) + ' (' + pctText + ')';
      // Healthy targets fold to one line when there are many (the zero-config default lists every command).
      var open = t.name in userOpen ? userOpen[t.name] : t.severity === 'critical' || t.severity === 'warning' || d.targets.length <= 3;
      var summary = h('summary', null, h('div', { class: 'head' }, badge(t.severity), ' ', h('h3', { text: t.name }), ' ',
        h('span', { class: 'muted', text: t.processes + ' process' + (t.processes === 1 ? '' : 'es') + (t.pids.length ? ' (pid ' + t.pids.slice(0, 8).join(', ') + (t.pids.length > 8 ? ', …' : '') + ')' : '') }),
        // Folded, the one line carries the fds; unfolded, the meter below does.
        t.processes ? h('span', { class: 'muted fdsum', text: '· fds ' + num(t.openFds) + ' · ' + pctText + ' of limit' }) : null));
      var details = h('details', open ? { open: '' } : null, summary,
        t.reasons.length ? h('ul', { class: 'why' }, t.reasons.map(function (r) { return h('li', { text: r }); })) : null,
        t.processes === 0 ? null : h('div', { class: 'meter' }, h('span', { text: fdText }),
          bar(t.fdUsageRatio, fdSev, 'file descriptors ' + num(t.openFds) + ' of ' + num(t.maxFds))),
        t.processes === 0 ? null : h('div', { class: 'meter' }, h('span', { text: 'memory ' + bytes(t.residentMemoryBytes) + (t.memoryLimitBytes ? ' / ' + bytes(t.memoryLimitBytes) : ' (no limit)') }),
          memRatio !== null ? bar(memRatio, memRatio >= 0.9 ? 'warning' : 'ok', 'memory ' + Math.round(memRatio * 100) + '% of limit') : null),
        t.processes === 0 ? null : facts([['threads', num(t.threads)], ['started', t.startedAt ? since(t.startedAt) : '?'], !t.readable && ['readable', 'no (partial numbers)']]),
        snapshotsOf(t.name),
        t.fdsByType.length ? chips(t.fdsByType.map(function (f) { return [f.name, f.count]; })) : null,
        t.sockets.length ? chips(t.sockets.map(function (s) { return [s.protocol + ' ' + s.state.toUpperCase(), s.count]; }), function (c) { return /CLOSE_WAIT/.test(c[0]) ? 'hot' : null; }) : null,
        h('div', { class: 'tops' },
          table('Top paths', t.topPaths.slice(0, 5).map(function (p) { return [p.count, p.name]; })),
          table('Top peers', t.topPeers.slice(0, 5).map(function (p) { return [p.count, p.peer, p.states.map(function (s) { return s.name.toUpperCase() + ' ' + s.count; }).join(', ')]; })),
          table('Listening: accept queue / backlog', listen.slice(0, 5).map(function (l) { return [num(l.queue) + ' / ' + num(l.backlog), 'port ' + l.port]; })
            .concat(listen.length > 5 ? [['', '… ' + (listen.length - 5) + ' more ports']] : []))));
      summary.addEventListener('click', function () { userOpen[t.name] = !details.open; });
      return h('article', { class: 'item target ' + t.severity, 'data-name': t.name }, details);
    }));
  }


  // Incident snapshots (docs/snapshots.md): a list under the targets, and
  // one snapshot at #snapshot/ID in place of the rest. Read from the
  // snapshot API with the page's token; long lists show their top rows and
  // how many more there are, so a picture with thousands of paths stays fast.
  var LIST_SHOWN = 20;
  var ROWS_SHOWN = 15;
  var snapList = null;
  var snapError = null;
  var snapView = null;

  function api(path) {
    var headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(path, { headers: headers, cache: 'no-store' }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) throw new Error((body && body.reason) || 'HTTP ' + res.status);
        return body;
      });
    });
  }
  function route() {
    var m = /^#snapshot\/([A-Za-z0-9_.:-]+)$/.exec(location.hash);
    if (m) return { snapshot: m[1] };
    var t = /^#snapshots\?target=(.*)$/.exec(location.hash);
    if (!t) return { target: null };
    // Alert annotations write a space as "+" (urlquery); a malformed escape is taken as written.
    try { return { target: decodeURIComponent(t[1].replace(/\+/g, ' ')) }; } catch (e) { return { target: t[1] }; }
  }
  function when(ms) {
    return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  }
  function ago(ms) {
    return age(Math.max(0, (Date.now() - ms) / 1000)) + ' ago';
  }
  function reasonText(r) {
    if (r.kind === 'trigger') return 'trigger ' + r.trigger + ': ' + r.detail;
    if (r.kind === 'alert') return 'alert ' + r.alertname + ': ' + r.detail;
    return r.kind + ': ' + r.detail;
  }
  // The first rows of a long list, then one row saying what is left out.
  function capped(rows, shown, rest) {
    if (rows.length <= shown) return rows;
    return rows.slice(0, shown).concat([['', rest(rows.slice(shown))]]);
  }

  function snapRow(s) {
    return h('li', { 'data-id': s.id },
      h('a', { href: '#snapshot/' + s.id },
        h('span', { class: 'when', text: when(s.savedAt) }), ' ',
        h('b', { class: 'target', text: s.target }), ' ',
        h('span', { class: 'reason', text: reasonText(s.reason) }), ' ',
        h('span', { class: 'handles', text: num(s.openFds) + ' handles' })));
  }

  function snapshots(d) {
    if (snapList === null && snapError === null) return null;
    var r = route();
    var all = (snapList || []).filter(function (s) { return !r.target || s.target === r.target; });
    // The automatic baselines (one per target, taken while all was well) apart, so incidents lead.
    var list = all.filter(function (s) { return s.reason.kind !== 'baseline'; });
    var baselines = all.filter(function (s) { return s.reason.kind === 'baseline'; });
    // Like checks and heartbeats, no section while there is nothing; but a link from an alert always lands on one.
    if (!snapError && snapList.length === 0 && !r.target) return null;
    var body;
    if (snapError) body = h('p', { class: 'stale', text: 'Cannot list snapshots: ' + snapError });
    else if (all.length === 0) body = h('div', null, h('p', { class: 'none', text: 'No snapshots of ' + r.target + '.' }), h('p', null, h('a', { href: '#snapshots', text: 'all targets' })));
    else body = h('div', null,
      r.target ? h('p', { class: 'muted' }, 'Only target ' + r.target + ' · ', h('a', { href: '#snapshots', text: 'all targets' })) : null,
      list.length === 0 ? h('p', { class: 'none', text: 'No incident snapshots' + (r.target ? ' of ' + r.target : '') + '.' }) : h('ol', { class: 'snaps incidents' }, list.slice(0, LIST_SHOWN).map(snapRow)),
      list.length > LIST_SHOWN ? h('p', { class: 'muted', text: '… ' + (list.length - LIST_SHOWN) + ' older snapshots (api/snapshots lists them all)' }) : null,
      baselines.length ? h('div', { class: 'baselines' },
        h('h4', { text: 'Healthy baselines (' + baselines.length + '): each target while no trigger was crossed' }),
        h('ol', { class: 'snaps baselines' }, baselines.slice(0, LIST_SHOWN).map(snapRow)),
        baselines.length > LIST_SHOWN ? h('p', { class: 'muted', text: '… ' + (baselines.length - LIST_SHOWN) + ' more baselines (api/snapshots lists them all)' }) : null) : null);
    return section('snapshots', 'Snapshots', list.length, body);
  }

  function changeList(title, c, none) {
    if (!c) return h('div', { class: 'top changes' }, h('h4', { text: title }), h('p', { class: 'none muted', text: none }));
    var lines = c.diff.lines.map(function (l) { return h('li', { class: 'change ' + l.kind, text: l.text }); });
    if (lines.length === 0) lines = [h('li', { class: 'muted', text: 'no change' })];
    if (c.diff.omitted) lines.push(h('li', { class: 'muted', text: '… ' + c.diff.omitted + ' smaller changes' }));
    return h('div', { class: 'top changes', 'data-against': title },
      h('h4', null, title + ' ', h('a', { href: '#snapshot/' + c.id, text: when(c.savedAt) })),
      h('ul', null, lines));
  }

  function problemList(s) {
    var out = [];
    s.collection.problems.concat(s.target.problems).forEach(function (p) { out.push(p.path + ': ' + p.message); });
    s.target.processes.forEach(function (p) {
      p.problems.forEach(function (x) { if (x.kind !== 'vanished') out.push('pid ' + p.pid + ' ' + x.path + ': ' + x.message); });
    });
    s.collection.collectors.forEach(function (c) { if (!c.success) out.push('collector ' + c.name + ' failed'); });
    return out;
  }

  function snapshotView(v) {
    var back = h('p', null, h('a', { href: '#snapshots', text: '← all snapshots' }));
    if (v.error) return section('snapshot', 'Snapshot', null, h('div', null, back, h('p', { class: 'stale', role: 'alert', text: 'Cannot show snapshot ' + v.id + ': ' + v.error })));
    if (!v.snapshot) return section('snapshot', 'Snapshot', null, h('div', null, back, h('p', { class: 'muted', text: 'Loading ' + v.id + '…' })));
    var s = v.snapshot, t = s.target, tot = t.total, ch = v.changes;
    var paths = t.total.paths.map(function (p) { return [p.count, p.path]; });
    var groups = tot.sockets.map(function (g) {
      var what = g.protocol + ' ' + g.state.toUpperCase() + (g.peer !== null ? ' to ' + g.peer : g.localPort !== null ? ' on :' + g.localPort : '');
      var more = [(g.rx || g.tx) ? 'queued ' + bytes(g.rx) + ' in, ' + bytes(g.tx) + ' out' : '', g.oldestSeconds !== null ? 'oldest ' + age(g.oldestSeconds) : ''].filter(Boolean).join(', ');
      return [g.count, what, more];
    });
    var peers = tot.peers.map(function (p) { return [p.count, p.peer, Object.keys(p.states).map(function (k) { return k.toUpperCase() + ' ' + p.states[k]; }).join(', ')]; });
    var listen = tot.listen.map(function (l) { return [num(l.queue) + ' / ' + num(l.backlog), 'port ' + l.port]; });
    var procs = t.processes.slice().sort(function (a, b) { return (b.openFds || 0) - (a.openFds || 0) || a.pid - b.pid; }).map(function (p) {
      return [num(p.openFds), 'pid ' + p.pid + ' ' + (p.cmdline || p.comm), bytes(p.residentBytes) + ' RSS, ' + p.threads + ' threads' + (p.readable ? '' : ', unreadable')];
    });
    var problemsSeen = problemList(s);
    var sum = function (rows) { return rows.reduce(function (a, r) { return a + (typeof r[0] === 'number' ? r[0] : 0); }, 0); };
    return section('snapshot', 'Snapshot', null, h('article', { class: 'item snapshot', 'data-id': s.id },
      back,
      h('div', { class: 'head' }, h('h3', { text: t.name }), h('span', { class: 'muted', text: when(s.savedAt) + ' (' + ago(s.savedAt) + ')' })),
      h('p', { class: 'why reason', text: reasonText(s.reason) }),
      s.crossed.length ? h('ul', { class: 'why crossed' }, s.crossed.map(function (c) { return h('li', { text: 'crossed ' + c.trigger + ': ' + c.detail }); })) : null,
      facts([['picture of', when(t.time)], ['processes', String(t.processes.length)], ['fds', num(tot.openFds) + ' / ' + num(tot.maxFds)],
        ['memory', bytes(tot.residentBytes) + ' RSS' + (tot.workingSetBytes !== null ? ', working set ' + bytes(tot.workingSetBytes) : '') + (tot.memoryLimitBytes ? ' of ' + bytes(tot.memoryLimitBytes) : '')],
        ['threads', num(tot.threads)], tot.oomKills ? ['OOM kills', num(tot.oomKills)] : null, ['id', s.id]]),
      h('div', { class: 'tops' },
        changeList('Since the snapshot before', ch && ch.previous, 'No earlier snapshot of this target.'),
        changeList('Since the healthy baseline', ch && ch.baseline, 'No baseline of this target taken before it: sockeye stores one once the target has crossed no trigger for snapshots.baseline.after.')),
      h('div', { class: 'tops' },
        table('Paths (' + paths.length + ')', capped(paths, ROWS_SHOWN, function (rest) { return '… ' + rest.length + ' more paths, ' + num(sum(rest)) + ' handles'; })),
        table('Sockets (' + groups.length + ' groups)', capped(groups, ROWS_SHOWN, function (rest) { return '… ' + rest.length + ' more groups, ' + num(sum(rest)) + ' sockets'; })),
        table('Peers (' + peers.length + ')', capped(peers, ROWS_SHOWN, function (rest) { return '… ' + rest.length + ' more peers, ' + num(sum(rest)) + ' sockets'; })),
        table('Listening: accept queue / backlog', capped(listen, ROWS_SHOWN, function (rest) { return '… ' + rest.length + ' more ports'; }))),
      h('div', { class: 'tops' },
        table('Processes (' + procs.length + ')', capped(procs, ROWS_SHOWN, function (rest) { return '… ' + rest.length + ' more processes'; })),
        problemsSeen.length ? table('What sockeye could not read', capped(problemsSeen.map(function (x) { return ['!', x]; }), ROWS_SHOWN, function (rest) { return '… ' + rest.length + ' more'; })) : null)));
  }

  function loadSnapshots() {
    return api('api/snapshots').then(function (b) { snapList = b.snapshots; snapError = null; }, function (err) { snapError = err.message; });
  }
  function loadView() {
    var r = route();
    if (!r.snapshot) { snapView = null; return Promise.resolve(); }
    if (snapView && snapView.id === r.snapshot) return Promise.resolve();
    var id = r.snapshot;
    snapView = { id: id };
    return Promise.all([api('api/snapshots/' + id), api('api/snapshots/' + id + '/changes')]).then(function (got) {
      if (snapView && snapView.id === id) snapView = { id: id, snapshot: got[0], changes: got[1] };
    }, function (err) {
      if (snapView && snapView.id === id) snapView = { id: id, error: err.message };
    });
  }

  function self(d) {
    var s = d.sockeye;
    return section('sockeye', 'sockeye itself', null, h('article', { class: 'item ' + d.scheduler.severity },
      h('div', { class: 'head' }, badge(d.scheduler.severity, !d.scheduler.running ? 'STOPPED' : d.scheduler.severity === 'critical' ? 'STALLED' : LABEL[d.scheduler.severity]), ' ', h('h3', { text: 'scheduler' }),
        ' ', h('span', { class: 'muted', text: 'last tick ' + (d.scheduler.ageSeconds === null ? 'never' : age(d.scheduler.ageSeconds) + ' ago') + ' (stalled after ' + dur(d.scheduler.staleAfterSeconds) + ')' })),
      facts([['fds', num(s.openFds) + ' / ' + num(s.maxFds)], ['memory', bytes(s.residentMemoryBytes)], ['up', age(s.uptimeSeconds)], ['pid', String(s.pid)], ['version', d.version]])));
  }

  function render() {
    var d = current;
    var crit = d.problems.filter(function (p) { return p.severity === 'critical'; }).length;
    var warn = d.problems.length - crit;
    var summary = d.problems.length === 0 ? 'all good' : [crit && crit + ' critical', warn && warn + ' warning'].filter(Boolean).join(', ');
    document.title = (d.problems.length ? '(' + d.problems.length + ') ' : '') + 'sockeye status';
    var staleFor = (Date.now() - fetchedAt) / 1000;
    var root = h('main', null,
      h('header', null, h('h1', null, 'sockeye'), ' ', badge(d.severity, d.severity === 'ok' ? 'OK' : LABEL[d.severity]), ' ', h('span', { class: 'summary', text: summary }),
        h('span', { class: 'updated', id: 'updated', text: 'updated ' + age(staleFor) + ' ago' })),
      lastError ? h('p', { class: 'stale', role: 'alert', text: 'Cannot refresh (' + lastError + '): showing data from ' + age(staleFor) + ' ago.' }) : null,
      snapView ? snapshotView(snapView) : [problems(d), checks(d), heartbeats(d), targets(d), snapshots(d), self(d)],
      h('footer', null, h('a', { href: 'api/status', text: 'api/status (JSON)' }), ' · ', h('a', { href: 'api/snapshots', text: 'api/snapshots (JSON)' }), ' · ', h('a', { href: 'metrics', text: 'metrics' })));
    app.replaceChildren(root);
  }

  function refresh() {
    var headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    fetch('api/status', { headers: headers, cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (d) { current = d; fetchedAt = Date.now(); lastError = null; return loadSnapshots(); })
      .then(render, function (err) { lastError = err && err.message ? err.message : String(err); render(); });
  }

  render();
  loadSnapshots().then(loadView).then(function () {
    render();
    if (!snapView && /^#snapshots/.test(location.hash)) { var el = document.getElementById('snapshots'); if (el) el.scrollIntoView(); }
  });
  window.addEventListener('hashchange', function () {
    loadView().then(function () {
      render();
      var list = !snapView && /^#snapshots/.test(location.hash) ? document.getElementById('snapshots') : null;
      if (list) list.scrollIntoView(); else window.scrollTo(0, 0);
    });
    render();
  });
  setInterval(refresh, REFRESH_MS);
  setInterval(function () {
    var el = document.getElementById('updated');
    if (el) el.textContent = 'updated ' + age((Date.now() - fetchedAt) / 1000) + ' ago';
  }, 1000);
})();
`;
