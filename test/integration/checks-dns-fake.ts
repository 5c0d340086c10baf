/**
 * A small DNS server for what a real one will not do on demand: answer
 * SERVFAIL, answer with another id, send garbage, stay silent, or hang up
 * mid-response. UDP and TCP on one port of 127.0.0.1; the query name picks
 * the behaviour (servfail., wrongid., garbage., silent., hangup., othername.).
 */
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import dnsPacket, { type Packet } from 'dns-packet';

export interface FakeDns {
  port: number;
  stop(): Promise<void>;
}

function respond(query: Buffer): Buffer | 'silent' | 'hangup' {
  const q = dnsPacket.decode(query);
  const question = q.questions![0]!;
  const label = question.name.split('.')[0];
  const base: Packet = { type: 'response', id: q.id, flags: dnsPacket.RECURSION_DESIRED, questions: q.questions };
  switch (label) {
    case 'servfail':
      return dnsPacket.encode({ ...base, flags: 2 /* SERVFAIL */ });
    case 'wrongid':
      return dnsPacket.encode({ ...base, id: ((q.id ?? 0) + 1) % 65536 });
    case 'garbage': {
      const b = Buffer.from('\x00\x00\xff\xff\xff\xff not a DNS message', 'latin1');
      b.writeUInt16BE(q.id ?? 0, 0);
      return b;
    }
    case 'othername':
      return dnsPacket.encode({ ...base, questions: [{ ...question, name: 'something.else.test' }], answers: [{ type: 'A', name: 'something.else.test', ttl: 60, data: '192.0.2.1' }] });
    case 'silent':
      return 'silent';
    case 'hangup':
      return 'hangup';
    default:
      return dnsPacket.encode({ ...base, flags: 3 /* NXDOMAIN */ });
  }
}

export async function startFakeDns(): Promise<FakeDns> {
  const tcp = createServer();
  const held = new Set<Socket>();
  tcp.on('connection', (s) => {
    held.add(s);
    s.on('close', () => held.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      const r = respond(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      if (r === 'silent') return;
      const len = Buffer.alloc(2);
      if (r === 'hangup') {
        len.writeUInt16BE(100);
        return void s.end(Buffer.concat([len, Buffer.alloc(10)]));
      }
      len.writeUInt16BE(r.length);
      s.write(Buffer.concat([len, r]));
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as { port: number }).port;
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const r = respond(msg);
    if (Buffer.isBuffer(r)) udp.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    stop: async () => {
      for (const s of held) s.destroy();
      await new Promise((r) => tcp.close(r));
      await new Promise<void>((r) => udp.close(() => r()));
    },
  };
}
