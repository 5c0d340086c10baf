import { describe, expect, it } from 'vitest';
import { negotiateFormat, parseAccept } from '../../src/exposition/negotiate.js';
import { escapeLabelValue, formatValue, serializeOpenMetrics } from '../../src/exposition/openmetrics.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('negotiateFormat', () => {
  it.each([
    [undefined, 'text'],
    ['', 'text'],
    [PROMETHEUS_ACCEPT, 'openmetrics'],
    // Prometheus 3 style: escaping parameters and text 1.0.0 in between.
    [
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
      'openmetrics',
    ],
    // Only text 1.0.0 wanted: our 0.0.4 text is the fallback.
    ['text/plain;version=1.0.0;escaping=allow-utf-8', 'text'],
    ['application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['APPLICATION/OpenMetrics-Text;Version=1.0.0', 'openmetrics'],
    // Only an OpenMetrics version we do not serve: text, the safe fallback.
    ['application/openmetrics-text;version=0.0.1', 'text'],
    ['text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5', 'text'],
    ['text/plain;q=0.5,application/openmetrics-text;q=0.6', 'openmetrics'],
    // Equal preference: the classic format.
    ['text/plain,application/openmetrics-text', 'text'],
    ['*/*', 'text'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'text'],
    ['application/*;q=0.9,text/plain;q=0.1', 'openmetrics'],
    // q=0 means "not this one".
    ['text/plain;q=0,application/openmetrics-text;q=0.1', 'openmetrics'],
    ['application/openmetrics-text;q=0,*/*', 'text'],
    // The most specific range decides an offer's q (RFC 9110).
    ['application/openmetrics-text;version=1.0.0;q=0.2,application/openmetrics-text;q=1,text/plain;q=0.5', 'text'],
    ['application/json', 'text'],
    ['garbage;;;,,', 'text'],
    ['application/openmetrics-text;q=abc', 'text'],
  ])('%j → %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });

  it('parses parameters, quoted values and q', () => {
    expect(parseAccept('text/plain; version="0.0.4"; q=0.5, */*')).toEqual([
      { type: 'text', subtype: 'plain', params: { version: '0.0.4' }, q: 0.5 },
      { type: '*', subtype: '*', params: {}, q: 1 },
    ]);
  });
});

describe('serializeOpenMetrics', () => {
  it('names counter families without _total and their samples with it', () => {
    const out = serializeOpenMetrics([
      { name: 'sockeye_check_runs_total', help: 'Check runs by result.', type: 'counter', values: [{ value: 3, labels: { check: 'web', result: 'success' } }] },
    ]);
    expect(out).toBe(
      [
        '# TYPE sockeye_check_runs counter',
        '# HELP sockeye_check_runs Check runs by result.',
        'sockeye_check_runs_total{check="web",result="success"} 3',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('declares base units and keeps histogram and summary sample names', () => {
    const out = serializeOpenMetrics([
      {
        name: 'h_seconds',
        help: 'A histogram.',
        type: 'histogram',
        values: [
          { value: 1, labels: { le: 0.5 }, metricName: 'h_seconds_bucket' },
          { value: 2, labels: { le: '+Inf' }, metricName: 'h_seconds_bucket' },
          { value: 1.25, labels: {}, metricName: 'h_seconds_sum' },
          { value: 2, labels: {}, metricName: 'h_seconds_count' },
        ],
      },
      { name: 's', help: 'A summary.', type: 'summary', values: [{ value: 7, labels: { quantile: 0.99 } }, { value: 7, labels: {}, metricName: 's_sum' }] },
      { name: 'g_bytes', help: 'A gauge.', type: 'gauge', values: [] },
    ]);
    expect(out.split('\n')).toEqual([
      '# TYPE h_seconds histogram',
      '# UNIT h_seconds seconds',
      '# HELP h_seconds A histogram.',
      'h_seconds_bucket{le="0.5"} 1',
      'h_seconds_bucket{le="+Inf"} 2',
      'h_seconds_sum 1.25',
      'h_seconds_count 2',
      '# TYPE s summary',
      '# HELP s A summary.',
      's{quantile="0.99"} 7',
      's_sum 7',
      '# TYPE g_bytes gauge',
      '# UNIT g_bytes bytes',
      '# HELP g_bytes A gauge.',
      '# EOF',
      '',
    ]);
  });

  it('escapes label values and HELP text', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const out = serializeOpenMetrics([
      { name: 'x', help: 'Line one\nwith "quotes" and \\.', type: 'gauge', values: [{ value: 1, labels: { path: '/srv/a "b"\n (deleted)' } }] },
    ]);
    expect(out).toContain('# HELP x Line one\\nwith \\"quotes\\" and \\\\.\n');
    expect(out).toContain('x{path="/srv/a \\"b\\"\\n (deleted)"} 1\n');
  });

  it('writes special floats the OpenMetrics way', () => {
    expect([NaN, Infinity, -Infinity, 0, 1.5, 1e-7].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0', '1.5', '1e-7']);
  });

  it('an empty registry is just # EOF', () => {
    expect(serializeOpenMetrics([])).toBe('# EOF\n');
  });
});
