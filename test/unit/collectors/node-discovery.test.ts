import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { podDirectory } from '../../../src/collectors/kube-pods.js';
import { containerIdUri, hostGroupOf } from '../../../src/collectors/resolve-node.js';
import { parseConfig, verifyConfigPaths } from '../../../src/config/load.js';
import { kubeAccess } from '../../../src/config/node.js';
import { toHostView } from '../../../src/procfs/cgroup-ns.js';
import { parsePidCgroup } from '../../../src/procfs/pid/cgroup.js';

const fixture = (name: string) => parsePidCgroup(readFileSync(new URL(`../../fixtures/cgroup-kube/${name}`, import.meta.url), 'utf8'));
const ID = 'ab'.repeat(32);

describe('host groups (processes outside pods)', () => {
  it('groups a systemd unit under its slice', () => {
    expect(hostGroupOf(fixture('v1-system-daemon.txt'))).toBe('system.slice/containerd.service');
  });
  it('groups by the first directory otherwise, and the root cgroup as root', () => {
    expect(hostGroupOf(parsePidCgroup('0::/kubepods/besteffort/podx\n'))).toBe('kubepods');
    expect(hostGroupOf(parsePidCgroup('0::/\n'))).toBe('root');
    expect(hostGroupOf(parsePidCgroup('4:memory:/process_api/1234\n0::/\n'))).toBe('root');
    expect(hostGroupOf(parsePidCgroup('4:memory:/process_api/1234\n'))).toBe('process_api');
  });
});

describe('container ids as kube-state-metrics writes them', () => {
  it('keeps the runtime the cgroup names, and takes containerd for a bare cgroupfs id', () => {
    expect(containerIdUri({ podUid: 'u', containerId: ID, runtime: 'cri-o', qosClass: 'burstable' })).toBe(`cri-o://${ID}`);
    expect(containerIdUri({ podUid: 'u', containerId: ID, runtime: 'docker', qosClass: 'burstable' })).toBe(`docker://${ID}`);
    expect(containerIdUri({ podUid: 'u', containerId: ID, runtime: null, qosClass: 'burstable' })).toBe(`containerd://${ID}`);
  });
});

describe('the pod directory of a PodList', () => {
  it('maps each pod UID (and a static pod’s config hash) to its names and every kind of container', () => {
    const hash = 'c'.repeat(32);
    const dir = podDirectory({
      items: [
        {
          metadata: { uid: 'u1', namespace: 'shop', name: 'web-0', annotations: { 'kubernetes.io/config.hash': hash } },
          status: {
            containerStatuses: [{ name: 'app', containerID: `containerd://${ID}` }, { name: 'waiting' }],
            initContainerStatuses: [{ name: 'init', containerID: `containerd://${'cd'.repeat(32)}` }],
            ephemeralContainerStatuses: undefined,
          },
        },
        { metadata: { namespace: 'x', name: 'no-uid' } },
      ],
    });
    expect(Object.keys(dir).sort()).toEqual([hash, 'u1']);
    expect(dir.u1).toEqual({ namespace: 'shop', name: 'web-0', containers: { [ID]: { name: 'app', containerId: `containerd://${ID}` }, ['cd'.repeat(32)]: { name: 'init', containerId: `containerd://${'cd'.repeat(32)}` } } });
    expect(dir[hash]).toBe(dir.u1);
  });
});

describe('the pod list settings from the environment', () => {
  const k = { enabled: true, tokenFile: '/t', caFile: '/c', refreshInterval: 60_000 };
  it('takes NODE_NAME and the in-cluster service address', () => {
    expect(kubeAccess(k, { NODE_NAME: 'n1', KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' })).toEqual({ nodeName: 'n1', apiServer: 'https://[fd00::1]:6443', tokenFile: '/t', caFile: '/c', refreshIntervalMs: 60_000 });
  });
  it('names each key whose default the environment lacks', () => {
    expect(kubeAccess(k, {})).toEqual([
      'node.kubernetes.nodeName: not set, and NODE_NAME is not in the environment (set it from spec.nodeName with the downward API)',
      'node.kubernetes.apiServer: not set, and KUBERNETES_SERVICE_HOST is not in the environment (not running in a pod?)',
    ]);
    expect(kubeAccess({ ...k, nodeName: 'n', apiServer: 'https://api:443/' }, {})).toMatchObject({ nodeName: 'n', apiServer: 'https://api:443' });
  });
});

describe('startup checks of node mode', () => {
  it('refuses the pod list without a node name, naming the key, where check-config and startup see it', async () => {
    const config = parseConfig('mode: node\nnode:\n  kubernetes: { enabled: true, apiServer: "https://127.0.0.1:6443" }\n', { env: {} });
    expect(await verifyConfigPaths(config, {})).toEqual(['node.kubernetes.nodeName: not set, and NODE_NAME is not in the environment (set it from spec.nodeName with the downward API)']);
    expect(await verifyConfigPaths(config, { NODE_NAME: 'n1' })).toEqual([]);
  });
});

describe('cgroup paths from a cgroup namespace of its own, as the host writes them', () => {
  const roots = new Map([
    ['', '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podx.slice/cri-containerd-a.scope'],
    ['memory', '/kubepods/besteffort/podx/a'],
  ]);
  it('resolves each hierarchy against its namespace root, and leaves the others', () => {
    const text = '9:cpuset:/../y\n4:memory:/../../../pody/b\n0::/../../../kubepods-pod1.slice/cri-containerd-b.scope\n';
    expect(toHostView(text, roots)).toBe('9:cpuset:/../y\n4:memory:/kubepods/pody/b\n0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-b.scope\n');
  });
  it('keeps its own cgroup at the root, and never above the host root', () => {
    expect(toHostView('0::/\n4:memory:/../../../../../..\n', roots)).toBe('0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podx.slice/cri-containerd-a.scope\n4:memory:/\n');
  });
});
