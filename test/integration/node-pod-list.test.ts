// The pod list of node mode against a real HTTPS server on 127.0.0.1 (the API
// server cannot run here) with a real CA, serving a PodList of the pods of a
// node built for real (test/support/kube-node.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTargetCollection, type CollectionSnapshot, type TargetCollection } from '../../src/collectors/index.js';
import { parseConfig } from '../../src/config/load.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { captureLogger } from '../support/collection.js';
import { buildKubeNode, podList, type BuiltPod, type KubeNode } from '../support/kube-node.js';
import { poll } from '../support/poll.js';

const TOKEN = 'sockeye-test-token-0123456789';

let node: KubeNode;
let certs: TestCerts;
let server: Server;
let port: number;
const dir = mkdtempSync(join(tmpdir(), 'sockeye-pod-list-'));
const tokenFile = join(dir, 'token');
/** What the server answers: the pods listed, or a status code to fail with. */
let serving: { pods: BuiltPod[] } | { status: number } = { pods: [] };
const requests: Array<{ url: string; authorization?: string }> = [];

beforeAll(async () => {
  node = await buildKubeNode([
    { namespace: 'shop', name: 'web-0', driver: 'systemd', runtime: 'containerd', qos: 'burstable', containers: [{ name: 'app', listeners: 1, closeWait: 2 }] },
    { namespace: 'kube-system', name: 'dns-0', driver: 'cgroupfs', runtime: 'cri-o', qos: 'besteffort', containers: [{ name: 'dns', files: 1 }] },
  ]);
  certs = makeCerts();
  writeFileSync(tokenFile, `${TOKEN}\n`);
  server = createServer({ key: certs.valid.key, cert: certs.valid.cert }, (req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const url = new URL(req.url ?? '/', 'https://x');
    if ('status' in serving) {
      res.writeHead(serving.status, { 'content-type': 'application/json' }).end('{"kind":"Status","message":"pods is forbidden"}');
      return;
    }
    const wanted = url.pathname === '/api/v1/pods' && url.searchParams.get('fieldSelector') === 'spec.nodeName=node-a' && req.headers.authorization === `Bearer ${TOKEN}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(podList(wanted ? serving.pods : [], 'node-a')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  certs?.cleanup();
  rmSync(dir, { recursive: true, force: true });
  await node?.remove();
}, 60_000);

const collections: TargetCollection[] = [];
afterEach(async () => {
  await Promise.all(collections.splice(0).map((c) => c.close()));
});

function collectionWith(nodeYaml = '', caFile = certs.caFile) {
  const config = parseConfig(
    `mode: node\nnode:\n  outsidePods: exclude\n${nodeYaml}  kubernetes:\n    enabled: true\n    nodeName: node-a\n    apiServer: https://127.0.0.1:${port}\n    tokenFile: ${tokenFile}\n    caFile: ${caFile}\n`,
    { env: {} },
  );
  const registry = new Registry();
  const log = captureLogger();
  const collection = createTargetCollection(config, registry, log);
  collections.push(collection);
  return { registry, collection, log };
}

const web = () => node.pods[0]!;
const dns = () => node.pods[1]!;
/** Other pods may be on this machine meanwhile (the node benchmark builds them too): the names of this file's. */
const ours = (snap: CollectionSnapshot) =>
  snap.targets
    .filter((t) => node.pods.some((p) => p.uid === t.kube?.podUid))
    .map((t) => t.name)
    .sort();

describe('node mode with the pod list', () => {
  it('names targets namespace/pod/container and labels them, asking for this node only with the token', async () => {
    serving = { pods: node.pods };
    requests.length = 0;
    const { registry, collection } = collectionWith();
    const snap = await collection.collect();
    expect(ours(snap)).toEqual(['kube-system/dns-0/dns', 'shop/web-0/app']);
    expect(requests[0]).toEqual({ url: '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a', authorization: `Bearer ${TOKEN}` });
    const text = await registry.metrics();
    const c = web().containers[0]!;
    expect(text).toContain(`sockeye_target_info{target="shop/web-0/app",pod_uid="${web().uid}",container_id="containerd://${c.id}",qos_class="burstable",namespace="shop",pod="web-0",container="app"} 1\n`);
    expect(text).toContain('sockeye_process_sockets{target="shop/web-0/app",namespace="shop",pod="web-0",container="app",protocol="tcp",state="close_wait"} 2\n');
  }, 60_000);

  it('asks again when a pod it does not know appears, and names it then', async () => {
    serving = { pods: [web()] };
    requests.length = 0;
    const { collection } = collectionWith();
    const first = await collection.collect();
    const dnsName = `${dns().uid}/${dns().containers[0]!.id.slice(0, 12)}`;
    expect(ours(first)).toEqual([dnsName, 'shop/web-0/app'].sort());
    serving = { pods: node.pods };
    await poll(() => requests.length >= 2, { timeoutMs: 20_000, what: 'the list asked for again' });
    const names = await poll(
      async () => {
        const n = ours(await collection.collect());
        return n.includes('kube-system/dns-0/dns') && n;
      },
      { timeoutMs: 20_000, what: 'the new pod named' },
    );
    expect(names).toEqual(['kube-system/dns-0/dns', 'shop/web-0/app']);
  }, 60_000);

  it('asks again for a container the list does not have yet (restarted: a new id) and keeps the pod labels meanwhile', async () => {
    // The list still says the container that ran before: another id.
    const stale = { ...web(), containers: web().containers.map((c) => ({ ...c, id: 'f'.repeat(64) })) };
    serving = { pods: [stale, dns()] };
    requests.length = 0;
    const { collection, registry } = collectionWith();
    const first = await collection.collect();
    const c = web().containers[0]!;
    const uidName = `${web().uid}/${c.id.slice(0, 12)}`;
    expect(ours(first)).toEqual(['kube-system/dns-0/dns', uidName].sort());
    expect(await registry.metrics()).toContain(`sockeye_target_info{target="${uidName}",pod_uid="${web().uid}",container_id="containerd://${c.id}",qos_class="burstable",namespace="shop",pod="web-0",container=""} 1\n`);
    serving = { pods: node.pods };
    await poll(() => requests.length >= 2, { timeoutMs: 20_000, what: 'the list asked for again' });
    const names = await poll(
      async () => {
        const n = ours(await collection.collect());
        return n.includes('shop/web-0/app') && n;
      },
      { timeoutMs: 20_000, what: 'the container named' },
    );
    expect(names).toEqual(['kube-system/dns-0/dns', 'shop/web-0/app']);
  }, 60_000);

  it('includes and excludes by namespace and container name', async () => {
    serving = { pods: node.pods };
    const excluded = collectionWith('  exclude:\n    namespaces: ["^kube-system$"]\n');
    expect(ours(await excluded.collection.collect())).toEqual(['shop/web-0/app']);
    const included = collectionWith('  include:\n    containers: ["^dns$"]\n');
    expect(ours(await included.collection.collect())).toEqual(['kube-system/dns-0/dns']);
  }, 60_000);

  it('logs a failing list once and keeps the pod UID names', async () => {
    serving = { status: 403 };
    requests.length = 0;
    const { collection, log } = collectionWith();
    const snap = await collection.collect();
    expect(ours(snap)).toEqual(node.pods.map((p) => `${p.uid}/${p.containers[0]!.id.slice(0, 12)}`).sort());
    // Unknown pods ask again (at once the first time); the failure is not logged again.
    await poll(() => requests.length >= 2, { timeoutMs: 20_000, what: 'a second request' });
    await collection.collect();
    const warnings = log.lines.filter((l) => l.msg.startsWith('cannot list the pods of node node-a'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('HTTP 403');
    expect(warnings[0]!.msg).toContain('their pod UID names');
  }, 60_000);

  it('trusts only the CA it is given: a server certificate from another CA is a logged failure, nothing read', async () => {
    serving = { pods: node.pods };
    requests.length = 0;
    const other = makeCerts();
    try {
      const { collection, log } = collectionWith('', other.caFile);
      const snap = await collection.collect();
      expect(ours(snap)).toEqual(node.pods.map((p) => `${p.uid}/${p.containers[0]!.id.slice(0, 12)}`).sort());
      const warnings = log.lines.filter((l) => l.msg.startsWith('cannot list the pods of node node-a'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toMatch(/certificate/i);
      // The handshake failed: no request reached the server.
      expect(requests).toEqual([]);
    } finally {
      other.cleanup();
    }
  }, 60_000);
});
