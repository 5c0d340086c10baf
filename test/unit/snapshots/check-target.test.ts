import { describe, expect, it } from 'vitest';
import type { TargetSnapshot } from '../../../src/collectors/snapshot.js';
import { checkSchema } from '../../../src/config/checks.js';
import { localCheckPort, targetOfCheck } from '../../../src/snapshots/check-target.js';

const check = (kind: Record<string, unknown>) => checkSchema.parse({ name: 'c', every: '10s', ...kind });

/** A target listening on these ports: all targetOfCheck reads of it. */
const listening = (name: string, ports: number[]) => ({ name, total: { listen: ports.map((port) => ({ port, queue: 0, backlog: 128 })) } }) as unknown as TargetSnapshot;

describe('localCheckPort', () => {
  it('is the port of a check that connects to this machine', () => {
    expect(localCheckPort(check({ tcp: { address: '127.0.0.1:31337' } }))).toBe(31337);
    expect(localCheckPort(check({ tcp: { address: '127.0.1.1:7070' } }))).toBe(7070);
    expect(localCheckPort(check({ tls: { address: 'localhost:8443' } }))).toBe(8443);
    expect(localCheckPort(check({ grpc: { address: '[::1]:50051' } }))).toBe(50051);
    expect(localCheckPort(check({ http: { url: 'http://127.0.0.1:8080/health' } }))).toBe(8080);
    expect(localCheckPort(check({ http: { url: 'http://[::1]/health' } }))).toBe(80);
    expect(localCheckPort(check({ http: { url: 'https://localhost/health' } }))).toBe(443);
  });

  it('is undefined for another machine, or a dns check (it asks a server, not a target)', () => {
    expect(localCheckPort(check({ tcp: { address: '10.0.0.7:31337' } }))).toBeUndefined();
    expect(localCheckPort(check({ http: { url: 'https://api.example.com:8443/health' } }))).toBeUndefined();
    expect(localCheckPort(check({ dns: { server: '127.0.0.1:53', name: 'www.example.com' } }))).toBeUndefined();
  });
});

describe('targetOfCheck', () => {
  const targets = [listening('web', [8080, 8081]), listening('party', [31337]), listening('idle', [])];

  it('names the one target listening on the port the check connects to', () => {
    expect(targetOfCheck(check({ tcp: { address: '127.0.0.1:31337' } }), targets)).toBe('party');
    expect(targetOfCheck(check({ http: { url: 'http://localhost:8081/ready' } }), targets)).toBe('web');
  });

  it('names none when no target listens there, the check is of another machine, or two targets share the port', () => {
    expect(targetOfCheck(check({ tcp: { address: '127.0.0.1:9999' } }), targets)).toBeUndefined();
    expect(targetOfCheck(check({ tcp: { address: '10.0.0.7:31337' } }), targets)).toBeUndefined();
    expect(targetOfCheck(check({ tcp: { address: '127.0.0.1:8080' } }), [...targets, listening('web-2', [8080])])).toBeUndefined();
  });
});
