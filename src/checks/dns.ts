import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import type { Answer, DecodedPacket } from 'dns-packet';
import type { DnsCheckConfig } from '../config/checks.js';
import { requireCjs } from '../require-cjs.js';
import { settleOnce } from './settle.js';
import { ProbeFailure, type ProbeContext, type Prober } from './types.js';

const dnsPacket = requireCjs('dns-packet') as typeof import('dns-packet');

// A DNS message over TCP is at most 65535 bytes (its 2-byte length prefix).
const MAX_TCP_MESSAGE = 65535;

/** Sends the query (UDP or TCP), checks the response code, then the answer regexes. */
export const probeDns: Prober<DnsCheckConfig> = async (cfg, ctx) => {
  const id = randomInt(65536);
  const query = {
    type: 'query' as const,
    id,
    flags: cfg.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ type: cfg.type, class: 'IN' as const, name: cfg.name }],
  };
  const address = isIP(cfg.server.host) ? cfg.server.host : (await lookup(cfg.server.host)).address;
  const raw = cfg.transport === 'tcp' ? await exchangeTcp(address, cfg.server.port, dnsPacket.streamEncode(query), ctx) : await exchangeUdp(address, cfg.server.port, dnsPacket.encode(query), id, ctx);
  const response = parseResponse(raw, id, cfg.name);
  ctx.onAnswerRecords(response.answers?.length ?? 0);
  if (response.flag_tc && cfg.transport === 'udp') throw new ProbeFailure('answer', 'truncated response over UDP (TC bit set); use transport: tcp');
  // dns-packet decodes the rcode; its types do not declare it.
  const rcode = (response as DecodedPacket & { rcode?: string }).rcode ?? 'unknown';
  if (!(cfg.rcode as readonly string[]).includes(rcode)) {
    throw new ProbeFailure('rcode', `rcode ${rcode}, expected ${cfg.rcode.join(' or ')}`);
  }
  const records = (response.answers ?? []).map(formatRecord);
  for (const source of cfg.answer) {
    const re = new RegExp(source);
    if (!records.some((r) => re.test(r))) {
      const got = records.length ? records.slice(0, 3).map((r) => JSON.stringify(r)).join(', ') + (records.length > 3 ? ', …' : '') : 'no answer records';
      throw new ProbeFailure('answer', `no answer record matches /${source}/ (got ${got})`);
    }
  }
};

/** Decodes a response to our query; anything else is a broken server, reason answer. */
export function parseResponse(raw: Buffer, id: number, name: string): DecodedPacket {
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(raw);
  } catch (err) {
    throw new ProbeFailure('answer', `malformed DNS response: ${(err as Error).message}`);
  }
  if (packet.id !== id || !packet.flag_qr) throw new ProbeFailure('answer', `response does not answer the query (id ${packet.id}, expected ${id})`);
  const q = packet.questions?.[0];
  // Servers may echo the name in another case (0x20 randomisation); compare without the trailing dot.
  if (q && q.name.replace(/\.$/, '').toLowerCase() !== name.replace(/\.$/, '').toLowerCase()) {
    throw new ProbeFailure('answer', `response is for ${JSON.stringify(q.name)}, not ${JSON.stringify(name)}`);
  }
  return packet;
}

const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`);

/** One record as a zone file line (as dig and blackbox_exporter print it): the text the answer regexes match. */
export function formatRecord(rr: Answer): string {
  const ttl = 'ttl' in rr ? (rr.ttl ?? 0) : 0;
  const klass = 'class' in rr ? (rr.class ?? 'IN') : 'IN';
  return `${fqdn(rr.name)}\t${ttl}\t${klass}\t${rr.type}\t${formatData(rr)}`;
}

function formatData(rr: Answer): string {
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      return rr.data;
    case 'CNAME':
    case 'DNAME':
    case 'NS':
    case 'PTR':
      return fqdn(rr.data);
    case 'MX':
      return `${rr.data.preference ?? 0} ${fqdn(rr.data.exchange)}`;
    case 'SRV':
      return `${rr.data.priority ?? 0} ${rr.data.weight ?? 0} ${rr.data.port} ${fqdn(rr.data.target)}`;
    case 'SOA': {
      const d = rr.data;
      return `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial ?? 0} ${d.refresh ?? 0} ${d.retry ?? 0} ${d.expire ?? 0} ${d.minimum ?? 0}`;
    }
    case 'TXT': {
      const parts = Array.isArray(rr.data) ? rr.data : [rr.data];
      return parts.map((p) => JSON.stringify(p.toString())).join(' ');
    }
    case 'CAA':
      return `${rr.data.flags ?? 0} ${rr.data.tag} ${JSON.stringify(rr.data.value)}`;
    default: {
      // Other types (a server answering more than was asked): RFC 3597's generic form.
      const data = (rr as { data?: unknown }).data;
      return Buffer.isBuffer(data) ? `\\# ${data.length} ${data.toString('hex')}` : JSON.stringify(data ?? null);
    }
  }
}

/**
 * One UDP exchange on a connected socket: only datagrams from the server
 * reach it, an ICMP port unreachable surfaces as ECONNREFUSED, and responses
 * with another id (late answers to an earlier query) are ignored.
 */
function exchangeUdp(host: string, port: number, query: Buffer, id: number, ctx: ProbeContext): Promise<Buffer> {
  return settleOnce<Buffer>(ctx, (finish) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    socket.on('error', (err) => finish(err));
    socket.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish(undefined, msg);
    });
    socket.connect(port, host, () => socket.send(query, (err) => err && finish(err)));
    return () => socket.close();
  });
}

/** One TCP exchange: the 2-byte length-prefixed query, then the response read to its length. */
function exchangeTcp(host: string, port: number, query: Buffer, ctx: ProbeContext): Promise<Buffer> {
  return settleOnce<Buffer>(ctx, (finish) => {
    const socket = connect({ host, port });
    let buffered = Buffer.alloc(0);
    socket.on('error', (err) => finish(err));
    socket.on('connect', () => socket.write(query));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length > MAX_TCP_MESSAGE + 2) return finish(new ProbeFailure('answer', 'response longer than a DNS message'));
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) finish(undefined, buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
    });
    socket.on('close', () => finish(new ProbeFailure('reset', `connection closed after ${buffered.length} bytes, before a whole response`)));
    return () => socket.destroy();
  });
}
