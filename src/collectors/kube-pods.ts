import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { KubeAccess } from '../config/node.js';
import type { PodDirectory, PodInfo } from './resolve-node.js';

// The pods of this node from the API server (GET /api/v1/pods with a
// fieldSelector on spec.nodeName, the service account's token): what names
// node-mode targets <namespace>/<pod>/<container>. Optional: without it the
// targets keep their pod UID names and the recording rules join the names.

/** The parts of a PodList this reads. */
interface PodList {
  items?: Array<{
    metadata?: { uid?: string; namespace?: string; name?: string; annotations?: Record<string, string> };
    status?: Record<'containerStatuses' | 'initContainerStatuses' | 'ephemeralContainerStatuses', Array<{ name?: string; containerID?: string }> | undefined>;
  }>;
}

/**
 * The directory of a PodList, by pod UID. A static pod's cgroup carries the
 * hash kubelet gave it, not its mirror pod's uid: it is listed under both.
 */
export function podDirectory(list: PodList): PodDirectory {
  const out: PodDirectory = {};
  for (const item of list.items ?? []) {
    const { uid, namespace, name, annotations } = item.metadata ?? {};
    if (!uid || !namespace || !name) continue;
    const pod: PodInfo = { namespace, name, containers: {} };
    for (const key of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses'] as const) {
      for (const c of item.status?.[key] ?? []) {
        // "containerd://<id>": the cgroup holds the id; the label keeps the whole.
        const id = c.containerID?.slice(c.containerID.indexOf('://') + 3);
        if (c.name && id && c.containerID!.includes('://')) pod.containers[id] = { name: c.name, containerId: c.containerID! };
      }
    }
    out[uid] = pod;
    const hash = annotations?.['kubernetes.io/config.hash'];
    if (hash) out[hash] = pod;
  }
  return out;
}

/** The first refresh on an unknown pod comes at once; more at most this often (a pod churning in a crash loop must not hammer the API). */
const UNKNOWN_REFRESH_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

function get(url: URL, token: string, ca: Buffer | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? request : plainRequest;
    const req = send(url, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, ca, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error(`answer larger than ${MAX_BODY_BYTES / 2 ** 20} MiB`));
        else chunks.push(c);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200).replace(/\s+/g, ' ')}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

export class PodLister {
  private directory: PodDirectory | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastUnknownRefresh = -Infinity;
  private failing = false;
  private closed = false;
  /** Settles when the first list has been asked for (whatever came of it): the first collection waits for it. */
  readonly ready: Promise<void>;

  constructor(
    private readonly access: KubeAccess,
    private readonly log: FastifyBaseLogger,
  ) {
    this.ready = this.refresh();
    this.timer = setInterval(() => void this.refresh(), access.refreshIntervalMs);
    this.timer.unref();
  }

  /** The last list that was read; undefined before any was. */
  pods(): PodDirectory | undefined {
    return this.directory;
  }

  /** A collection found a pod or container the list does not have: ask again, at most once per UNKNOWN_REFRESH_MS. */
  unknownPodSeen(): void {
    const now = performance.now();
    if (now - this.lastUnknownRefresh < UNKNOWN_REFRESH_MS) return;
    this.lastUnknownRefresh = now;
    void this.refresh();
  }

  refresh(): Promise<void> {
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(): Promise<void> {
    const { apiServer, nodeName, tokenFile, caFile } = this.access;
    const url = new URL(`${apiServer}/api/v1/pods`);
    url.searchParams.set('fieldSelector', `spec.nodeName=${nodeName}`);
    try {
      // Read each time: projected service account tokens are rotated on disk.
      const token = readFileSync(tokenFile, 'utf8').trim();
      const ca = url.protocol === 'https:' ? readFileSync(caFile) : undefined;
      const list = JSON.parse(await get(url, token, ca)) as PodList;
      if (this.closed) return;
      this.directory = podDirectory(list);
      if (this.failing) this.log.info({ pods: Object.keys(this.directory).length }, 'pod list read again: node-mode targets are named by namespace, pod and container');
      this.failing = false;
    } catch (err) {
      // Logged once until it works again; the targets keep the names of the last list (or their pod UID names).
      if (!this.failing && !this.closed) this.log.warn({ err, url: url.toString() }, `cannot list the pods of node ${nodeName}: ${(err as Error).message}; targets keep ${this.directory ? 'the names of the last list' : 'their pod UID names'} until it works`);
      this.failing = true;
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }
}
