import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml, { env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('config was accepted');
}

const HTTP = 'http: { url: "http://127.0.0.1:8080/health" }';

// Invalid check and heartbeat configs paired with the exact lines a person sees.
const invalid: Array<[string, string, string[]]> = [
  ['timeout not shorter than every', `checks:\n  - name: a\n    every: 15s\n    timeout: 15s\n    ${HTTP}`, ['checks[0].timeout: must be shorter than the interval (15s)']],
  ['timeout not shorter than a cron schedule', `checks:\n  - name: a\n    schedule: "*/5 * * * * *"\n    timeout: 10s\n    ${HTTP}`, ['checks[0].timeout: must be shorter than the interval (5s)']],
  [
    'invalid cron schedule',
    `checks:\n  - name: a\n    schedule: "61 * * * *"\n    ${HTTP}`,
    ['checks[0].schedule: expected a cron expression such as "*/5 * * * *", got "61 * * * *": 61 is a invalid expression for minute'],
  ],
  ['neither every nor schedule', `checks:\n  - name: a\n    ${HTTP}`, ['checks[0]: expected exactly one of every (e.g. "15s") or schedule (a cron expression)']],
  ['every and schedule', `checks:\n  - name: a\n    every: 1m\n    schedule: "* * * * *"\n    ${HTTP}`, ['checks[0]: expected exactly one of every (e.g. "15s") or schedule (a cron expression)']],
  ['every below the scheduler tick', `checks:\n  - name: a\n    every: 500ms\n    ${HTTP}`, ['checks[0].every: must be at least 1s, got 500ms']],
  ['no prober', `checks:\n  - name: a\n    every: 1m`, ['checks[0]: expected exactly one of http, tcp, tls, dns, grpc']],
  ['two probers', `checks:\n  - name: a\n    every: 1m\n    ${HTTP}\n    tcp: { address: "127.0.0.1:1" }`, ['checks[0]: expected exactly one of http, tcp, tls, dns, grpc, got http and tcp']],
  ['malformed URL', `checks:\n  - name: a\n    every: 1m\n    http: { url: "not a url" }`, ['checks[0].http.url: expected an http:// or https:// URL, got a malformed URL']],
  ['URL with another scheme', `checks:\n  - name: a\n    every: 1m\n    http: { url: "ftp://127.0.0.1/x" }`, ['checks[0].http.url: expected an http:// or https:// URL, got scheme "ftp"']],
  [
    'unknown method',
    `checks:\n  - name: a\n    every: 1m\n    http: { url: "http://127.0.0.1/", method: FETCH }`,
    ['checks[0].http.method: expected one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, got the string "FETCH"'],
  ],
  ['status out of range', `checks:\n  - name: a\n    every: 1m\n    http: { url: "http://127.0.0.1/", status: [200, 700] }`, ['checks[0].http.status[1]: expected an HTTP status code from 100 to 599, got 700']],
  [
    'bad body regex',
    `checks:\n  - name: a\n    every: 1m\n    http: { url: "http://127.0.0.1/", body: "ok(" }`,
    ['checks[0].http.body: invalid regular expression: unterminated group in "ok("'],
  ],
  [
    'address without port',
    `checks:\n  - name: a\n    every: 1m\n    tcp: { address: "localhost" }`,
    ['checks[0].tcp.address: expected host:port (IPv6 in brackets, e.g. [::1]:9855), got the string "localhost"'],
  ],
  [
    'bad expect regex in a conversation',
    `checks:\n  - name: a\n    every: 1m\n    tcp:\n      address: "127.0.0.1:31337"\n      conversation:\n        - expect: PLSAUTH\n        - send: "RING"\n        - expect: "(AHOY"`,
    ['checks[0].tcp.conversation[2].expect: invalid regular expression: unterminated group in "(AHOY"'],
  ],
  [
    'step with send and expect',
    `checks:\n  - name: a\n    every: 1m\n    tcp:\n      address: "127.0.0.1:31337"\n      conversation:\n        - { send: "RING", expect: "AHOY" }`,
    ['checks[0].tcp.conversation[0]: expected a step with exactly one of send or expect'],
  ],
  ['negative minValidDays', `checks:\n  - name: a\n    every: 1h\n    tls: { address: "127.0.0.1:8443", minValidDays: -1 }`, ['checks[0].tls.minValidDays: expected a number of days >= 0, got -1']],
  [
    'duplicate check names',
    `checks:\n  - name: a\n    every: 1m\n    ${HTTP}\n  - name: a\n    every: 1m\n    tcp: { address: "127.0.0.1:1" }`,
    ['checks[1].name: duplicate check name "a" (also at index 0)'],
  ],
  [
    'misspelt timeout',
    `checks:\n  - name: a\n    every: 1m\n    timout: 5s\n    ${HTTP}`,
    ['checks[0].timout: unknown key, did you mean "timeout"? (allowed: name, every, schedule, timeout, http, tcp, tls, dns, grpc)'],
  ],
  ['dns without a name', `checks:\n  - name: a\n    every: 1m\n    dns: { server: "127.0.0.1" }`, ['checks[0].dns.name: missing required key (expected a domain name such as www.example.com)']],
  [
    'dns name with a space',
    `checks:\n  - name: a\n    every: 1m\n    dns: { server: "127.0.0.1", name: "www example.com" }`,
    ['checks[0].dns.name: expected a domain name such as www.example.com, got the string "www example.com"'],
  ],
  [
    'dns server not an address',
    `checks:\n  - name: a\n    every: 1m\n    dns: { server: "udp://10.0.0.2", name: www.example.com }`,
    ['checks[0].dns.server: expected a DNS server address such as 127.0.0.1 or 127.0.0.1:53 (IPv6 with a port in brackets, e.g. [::1]:53), got the string "udp://10.0.0.2"'],
  ],
  [
    'dns unknown query type',
    `checks:\n  - name: a\n    every: 1m\n    dns: { server: "127.0.0.1:53", name: www.example.com, type: a }`,
    ['checks[0].dns.type: expected a query type: one of A, AAAA, CAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, got the string "a"'],
  ],
  [
    'dns unknown rcode in a list',
    `checks:\n  - name: a\n    every: 1m\n    dns: { server: "127.0.0.1:53", name: www.example.com, rcode: [NOERROR, NOTFOUND] }`,
    ['checks[0].dns.rcode[1]: expected a DNS response code: one of NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, YXDOMAIN, YXRRSET, NXRRSET, NOTAUTH, NOTZONE, got the string "NOTFOUND"'],
  ],
  ['dns transport', `checks:\n  - name: a\n    every: 1m\n    dns: { server: "127.0.0.1:53", name: www.example.com, transport: dot }`, ['checks[0].dns.transport: expected udp or tcp, got the string "dot"']],
  [
    'dns bad answer regex',
    `checks:\n  - name: a\n    every: 1m\n    dns: { server: "127.0.0.1:53", name: www.example.com, answer: ["192.0.2.[1"] }`,
    ['checks[0].dns.answer[0]: invalid regular expression: unterminated character class in "192.0.2.[1"'],
  ],
  [
    'grpc address without port',
    `checks:\n  - name: a\n    every: 1m\n    grpc: { address: "127.0.0.1" }`,
    ['checks[0].grpc.address: expected host:port (IPv6 in brackets, e.g. [::1]:9855), got the string "127.0.0.1"'],
  ],
  [
    'grpc misspelt service',
    `checks:\n  - name: a\n    every: 1m\n    grpc: { address: "127.0.0.1:15051", sevice: app }`,
    ['checks[0].grpc.sevice: unknown key, did you mean "service"? (allowed: address, service, tls)'],
  ],
  [
    'grpc tls as a string',
    `checks:\n  - name: a\n    every: 1m\n    grpc: { address: "127.0.0.1:15051", tls: "yes" }`,
    ['checks[0].grpc.tls: expected true, false or a mapping of serverName, caFile, insecureSkipVerify, got the string "yes"'],
  ],
  ['heartbeat period below 1s', `heartbeats:\n  - name: job\n    period: 500ms`, ['heartbeats[0].period: must be at least 1s']],
  ['heartbeat token too short, not echoed', `heartbeats:\n  - name: job\n    period: 1d\n    token: s3cr3t`, ['heartbeats[0].token: must be at least 8 characters']],
  ['heartbeat token not a string, not echoed', `heartbeats:\n  - name: job\n    period: 1d\n    token: 12345678901`, ['heartbeats[0].token: expected a token string (quote it in YAML)']],
  ['heartbeat without period', `heartbeats:\n  - name: job`, ['heartbeats[0]: expected exactly one of period (e.g. "1h") or schedule (a cron expression such as "0 2 * * 1-5")']],
  ['duplicate heartbeat names', `heartbeats:\n  - name: job\n    period: 1h\n  - name: job\n    period: 2h`, ['heartbeats[1].name: duplicate heartbeat name "job" (also at index 0)']],
  ['heartbeat name with a slash', `heartbeats:\n  - name: nightly/backup\n    period: 1d`, ['heartbeats[0].name: expected a name of letters, digits, "_", "." or "-" (at most 128, starting with a letter or digit), got the string "nightly/backup"']],
];

describe('invalid check and heartbeat config', () => {
  it('has a table of at least 10 cases', () => expect(invalid.length).toBeGreaterThanOrEqual(10));
  it.each(invalid)('%s', (_name, yaml, expected) => {
    expect(problems(yaml)).toEqual(expected);
  });
});

describe('valid check config', () => {
  it('parses the examples of the issue with defaults and derived interval/timeout', () => {
    const config = parseConfig(
      `checks:
  - name: web-health
    every: 15s
    timeout: 5s
    http: { url: "http://127.0.0.1:8080/health", method: GET, status: [200], body: "ok", maxBodyBytes: 65536 }
  - name: party-socket
    every: 30s
    tcp:
      address: 127.0.0.1:31337
      conversation:
        - expect: 'PLSAUTH'
        - send: '{"cmd":"RING"}\\r\\n'
        - expect: 'AHOY-HOY'
  - name: api-cert
    every: 1h
    tls: { address: "127.0.0.1:8443", serverName: api.example.test, minValidDays: 14 }
  - name: nightly
    schedule: "*/10 * * * * *"
    tls: { address: "127.0.0.1:8443" }
heartbeats:
  - name: nightly-backup
    period: 24h
    grace: 1h
    token: \${BACKUP_PING_TOKEN}
  - name: hourly
    period: 1h
`,
      { env: { BACKUP_PING_TOKEN: 'abcdefgh12345' } },
    );
    const [web, party, cert, cron] = config.checks;
    expect(web).toMatchObject({ type: 'http', intervalMs: 15_000, timeoutMs: 5_000 });
    expect(web!.http).toMatchObject({ method: 'GET', status: [200], maxBodyBytes: 65536, followRedirects: false, insecureSkipVerify: false });
    expect(party).toMatchObject({ type: 'tcp', intervalMs: 30_000, timeoutMs: 10_000 });
    expect(party!.tcp!.conversation).toEqual([{ expect: 'PLSAUTH' }, { send: '{"cmd":"RING"}\\r\\n' }, { expect: 'AHOY-HOY' }]);
    expect(party!.tcp!.tls).toBeUndefined();
    expect(cert).toMatchObject({ type: 'tls', intervalMs: 3_600_000, timeoutMs: 10_000 });
    expect(cron).toMatchObject({ type: 'tls', intervalMs: 10_000, timeoutMs: 5_000 });
    expect(config.heartbeats[0]).toMatchObject({ period: 86_400_000, grace: 3_600_000, token: 'abcdefgh12345' });
    // Default grace: a tenth of the period.
    expect(config.heartbeats[1]).toMatchObject({ period: 3_600_000, grace: 360_000 });
  });
});
