import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePidCgroup } from '../../../src/procfs/pid/cgroup.js';
import { kubeContainerOf, kubeContainerOfPath, type KubeContainer } from '../../../src/procfs/pid/cgroup-kube.js';
import { ProcParseError } from '../../../src/procfs/errors.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/cgroup-kube/', import.meta.url));

const UID = '4b3fb518-b055-4390-969b-9137f3dd0954';
const UID_ = UID.replaceAll('-', '_');
// A static pod's UID: kubelet's md5 of the manifest, 32 hex without dashes.
const STATIC = '3dabfd3952de6e598ddd02923f7073e1';
const ID = 'b75e057e4f2e6adc5ff03679a3ab5cc36ef5a5c8844cfbb1a0185902b79eb19f';
const OUTER = '87529d78aa743ba1781786e3d077deb2bea10e5be8a582014b1b2f30f653316a';
const NODE = '44bc623537d087f9553e71507c32fc8cf38a47793929c4d8acd2397842c068ed';

const SD_BURSTABLE = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`;
const SD_BESTEFFORT = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice`;
const SD_GUARANTEED = `/kubepods.slice/kubepods-pod${UID_}.slice`;

function c(qosClass: KubeContainer['qosClass'], runtime: KubeContainer['runtime'], podUid = UID, containerId = ID): KubeContainer {
  return { podUid, containerId, runtime, qosClass };
}

describe('kubeContainerOfPath: containers', () => {
  it.each<[string, string, KubeContainer]>([
    // kubelet systemd driver, cgroup v1 or v2, containerd with SystemdCgroup = true
    ['systemd, containerd, burstable', `${SD_BURSTABLE}/cri-containerd-${ID}.scope`, c('burstable', 'containerd')],
    ['systemd, containerd, besteffort', `${SD_BESTEFFORT}/cri-containerd-${ID}.scope`, c('besteffort', 'containerd')],
    ['systemd, containerd, guaranteed (pod slice right under kubepods.slice)', `${SD_GUARANTEED}/cri-containerd-${ID}.scope`, c('guaranteed', 'containerd')],
    // kubelet systemd driver, CRI-O (cgroup_manager = "systemd", runc)
    ['systemd, CRI-O, burstable', `${SD_BURSTABLE}/crio-${ID}.scope`, c('burstable', 'cri-o')],
    ['systemd, CRI-O, guaranteed', `${SD_GUARANTEED}/crio-${ID}.scope`, c('guaranteed', 'cri-o')],
    // CRI-O with crun on v2: the process sits in the "container" child crun makes under the scope
    ['systemd, CRI-O with crun', `${SD_BESTEFFORT}/crio-${ID}.scope/container`, c('besteffort', 'cri-o')],
    // kubelet systemd driver, Docker through dockershim / cri-dockerd
    ['systemd, Docker, guaranteed', `${SD_GUARANTEED}/docker-${ID}.scope`, c('guaranteed', 'docker')],
    ['systemd, Docker, besteffort', `${SD_BESTEFFORT}/docker-${ID}.scope`, c('besteffort', 'docker')],
    // kubelet cgroupfs driver (k3s, kubeadm on v1 before systemd became the default): the bare id,
    // the same for containerd and Docker
    ['cgroupfs, bare id, burstable', `/kubepods/burstable/pod${UID}/${ID}`, c('burstable', null)],
    ['cgroupfs, bare id, besteffort', `/kubepods/besteffort/pod${UID}/${ID}`, c('besteffort', null)],
    ['cgroupfs, bare id, guaranteed (pod right under kubepods)', `/kubepods/pod${UID}/${ID}`, c('guaranteed', null)],
    // CRI-O with cgroup_manager = "cgroupfs": crio-<id>, no .scope
    ['cgroupfs, CRI-O, besteffort', `/kubepods/besteffort/pod${UID}/crio-${ID}`, c('besteffort', 'cri-o')],
    ['cgroupfs, CRI-O, guaranteed', `/kubepods/pod${UID}/crio-${ID}`, c('guaranteed', 'cri-o')],
    // kind: the node is a Docker container and kubelet runs with --cgroup-root=/kubelet
    [
      'kind on v2, systemd, under the node container\'s scope',
      `/system.slice/docker-${NODE}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
      c('burstable', 'containerd'),
    ],
    [
      'kind on v2, systemd, guaranteed, under /docker/<id>',
      `/docker/${NODE}/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`,
      c('guaranteed', 'containerd'),
    ],
    ['kind on v1, cgroupfs', `/docker/${NODE}/kubelet/kubepods/besteffort/pod${UID}/${ID}`, c('besteffort', null)],
    // k3d: k3s (cgroupfs) in a Docker container
    ['k3s in Docker, cgroupfs, guaranteed', `/docker/${NODE}/kubepods/pod${UID}/${ID}`, c('guaranteed', null)],
    ['cgroupfs pods under a systemd service', `/system.slice/k3s.service/kubepods/burstable/pod${UID}/${ID}`, c('burstable', null)],
    // Static pods (kube-apiserver, etcd…): the UID is an md5 hash, no dashes to escape
    ['systemd, static pod', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${STATIC}.slice/cri-containerd-${ID}.scope`, c('burstable', 'containerd', STATIC)],
    ['cgroupfs, static pod', `/kubepods/pod${STATIC}/${ID}`, c('guaranteed', null, STATIC)],
    // containerd with runc in cgroupfs mode under a systemd kubelet: runc takes
    // "<slice>:cri-containerd:<id>" as a directory name (falco's tests, "seen in the wild")
    ['literal systemd name at the root', `/kubepods-burstable-pod${STATIC}.slice:cri-containerd:${ID}`, c('burstable', 'containerd', STATIC)],
    [
      'literal systemd name under containerd\'s service',
      `/system.slice/containerd.service/kubepods-besteffort-pod${UID_}.slice:cri-containerd:${ID}`,
      c('besteffort', 'containerd'),
    ],
    // v2 with a private cgroup namespace: the kernel writes paths relative to the reader's
    // root. From a container of another burstable pod, the common ancestor is kubepods-burstable.slice:
    ['other cgroup namespace, same QoS level', `/../../kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`, c('burstable', 'containerd')],
    // ... from a burstable pod's container to a guaranteed pod: up to kubepods.slice
    ['other cgroup namespace, guaranteed', `/../../../kubepods-pod${UID_}.slice/crio-${ID}.scope`, c('guaranteed', 'cri-o')],
    ['other cgroup namespace, cgroupfs, QoS level named', `/../../../burstable/pod${UID}/${ID}`, c('burstable', null)],
    // Sub-cgroups a container makes itself (systemd or Docker inside it) stay that container's
    ['a container\'s own sub-cgroup', `${SD_BURSTABLE}/cri-containerd-${ID}.scope/system.slice/nginx.service`, c('burstable', 'containerd')],
    ['Docker in a pod\'s container', `/kubepods/burstable/pod${UID}/${ID}/docker/${OUTER}`, c('burstable', null)],
    // kind inside a pod: the outer pod is the one the reader's kubelet runs
    [
      'pods nested in a pod\'s container',
      `/kubepods/burstable/pod${UID}/${ID}/kubelet/kubepods/besteffort/pod${UID.replace('4b3f', 'ffff')}/${OUTER}`,
      c('burstable', null),
    ],
  ])('%s', (_shape, path, expected) => {
    expect(kubeContainerOfPath(path)).toEqual(expected);
  });
});

describe('kubeContainerOfPath: outside any container', () => {
  it.each<[string, string]>([
    ['the root', '/'],
    ['a system daemon (systemd)', '/system.slice/containerd.service'],
    ['kubelet', '/system.slice/kubelet.service'],
    ['a login session', '/user.slice/user-1000.slice/session-3.scope'],
    ['a Docker container outside Kubernetes (systemd)', `/system.slice/docker-${ID}.scope`],
    ['a Docker container outside Kubernetes (cgroupfs)', `/docker/${ID}`],
    ['a containerd task outside CRI', `/default/${ID}`],
    ['the kubepods root', '/kubepods.slice'],
    ['a QoS level (systemd)', '/kubepods.slice/kubepods-burstable.slice'],
    ['a QoS level (cgroupfs)', '/kubepods/besteffort'],
    ['the pod\'s own cgroup (systemd)', SD_BURSTABLE],
    ['the pod\'s own cgroup (systemd, guaranteed)', SD_GUARANTEED],
    ['the pod\'s own cgroup (cgroupfs)', `/kubepods/burstable/pod${UID}`],
    // CRI-O's monitor: its cgroup carries the container's id; its fds are not the container's
    ['CRI-O conmon (systemd)', `${SD_BURSTABLE}/crio-conmon-${ID}.scope`],
    ['CRI-O conmon (cgroupfs)', `/kubepods/besteffort/pod${UID}/crio-conmon-${ID}`],
    // From another cgroup namespace, a cgroupfs pod whose parent is out of sight has no QoS to read
    ['other cgroup namespace, cgroupfs, QoS level cut off', `/../../pod${UID}/${ID}`],
    ['a sibling container in the reader\'s own pod', `/../cri-containerd-${ID}.scope`],
    // A zombie whose cgroup was removed: the kernel appends " (deleted)"
    ['a removed cgroup', `${SD_BURSTABLE}/cri-containerd-${ID}.scope (deleted)`],
  ])('%s', (_shape, path) => {
    expect(kubeContainerOfPath(path)).toBeNull();
  });
});

describe('kubeContainerOfPath: broken or hostile paths', () => {
  it.each<[string, string]>([
    ['empty', ''],
    ['truncated in the pod uid', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_.slice(0, 13)}`],
    ['truncated before the pod uid', '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod'],
    ['truncated in the container scope', `${SD_BURSTABLE}/cri-containerd-${ID.slice(0, 20)}`],
    ['a 63-hex id (systemd)', `${SD_BURSTABLE}/cri-containerd-${ID.slice(1)}.scope`],
    ['a 63-hex id (cgroupfs)', `/kubepods/burstable/pod${UID}/${ID.slice(1)}`],
    ['a 63-hex id (CRI-O)', `/kubepods/burstable/pod${UID}/crio-${ID.slice(1)}`],
    ['a 65-hex id', `/kubepods/burstable/pod${UID}/${ID}0`],
    ['an id in upper case', `/kubepods/burstable/pod${UID}/${ID.toUpperCase()}`],
    ['an id that is not hex', `/kubepods/burstable/pod${UID}/${ID.slice(0, 63)}g`],
    ['a bare id with .scope', `/kubepods/burstable/pod${UID}/${ID}.scope`],
    ['an unknown runtime prefix', `${SD_BURSTABLE}/podman-${ID}.scope`],
    ['a uid that is not a UUID', `/kubepods/burstable/podnot-a-uuid/${ID}`],
    ['a uid with misplaced dashes', `/kubepods/burstable/pod4b3fb518b-055-4390-969b-9137f3dd0954/${ID}`],
    ['a uid one digit short', `/kubepods/burstable/pod${UID.slice(0, -1)}/${ID}`],
    ['a 31-hex static uid', `/kubepods/pod${STATIC.slice(1)}/${ID}`],
    ['a uid in upper case', `/kubepods/burstable/pod${UID.toUpperCase()}/${ID}`],
    ['a dashed uid in a systemd slice', `/kubepods.slice/kubepods-pod${UID}.slice/cri-containerd-${ID}.scope`],
    ['an underscored uid in a cgroupfs path', `/kubepods/burstable/pod${UID_}/${ID}`],
    ['a pod slice under another QoS slice', `/kubepods.slice/kubepods-besteffort.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`],
    ['a pod slice under an unrelated slice', `/system.slice/kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`],
    ['an unknown QoS level (systemd)', `/kubepods.slice/kubepods-gold.slice/kubepods-gold-pod${UID_}.slice/cri-containerd-${ID}.scope`],
    ['an unknown QoS level (cgroupfs)', `/kubepods/gold/pod${UID}/${ID}`],
    ['a QoS level outside kubepods', `/system.slice/burstable/pod${UID}/${ID}`],
    ['a pod cgroup outside kubepods', `/machine/pod${UID}/${ID}`],
    ['".." after the start', `/kubepods/burstable/../burstable/pod${UID}/${ID}`],
    ['"." in the path', `/kubepods/./pod${UID}/${ID}`],
    ['a literal systemd name with a bad uid', `/kubepods-burstable-podxyz.slice:cri-containerd:${ID}`],
    ['a literal systemd name with a short id', `/kubepods-burstable-pod${UID_}.slice:cri-containerd:${ID.slice(1)}`],
    ['a very long name', `/kubepods/burstable/pod${UID}/${'-'.repeat(100_000)}`],
    ['a very long slice name', `/kubepods.slice/${'a-'.repeat(50_000)}kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`],
  ])('%s gives null', (_shape, path) => {
    expect(kubeContainerOfPath(path)).toBeNull();
  });
});

function fixture(name: string): ReturnType<typeof parsePidCgroup> {
  return parsePidCgroup(readFileSync(`${FIXTURES}${name}`, 'utf8'));
}

describe('kubeContainerOf: whole /proc/PID/cgroup files (test/fixtures/cgroup-kube/README.md)', () => {
  it.each<[string, KubeContainer | null]>([
    ['v1-cgroupfs-containerd-besteffort.txt', c('besteffort', null, UID, ID)],
    ['v1-systemd-docker-guaranteed.txt', c('guaranteed', 'docker', 'ac9f469a-72b7-48f9-98ed-0c349677b488', '87529d78aa743ba1781786e3d077deb2bea10e5be8a582014b1b2f30f653316a')],
    ['v1-systemd-crio-conmon.txt', null],
    ['v2-kind-systemd-containerd.txt', c('besteffort', 'containerd', '2d85101d-6086-4e71-8ff0-7e8e04d2635a', '3704fa15e07144a22272a367a6935b10a2e42ea759a76a3627e3cc32b0b81a49')],
    ['v1-kind-cgroupfs-containerd.txt', c('burstable', null, '6ecae7d5-7843-4b22-b115-ff5035b2384c', 'eff33c883127e60e7cf8c26e33c18070e49ce3c2f2003eabf3203ea888512e4d')],
    ['v1-system-daemon.txt', null],
    ['v2-crio-crun-other-cgroupns.txt', c('burstable', 'cri-o', '81cda2ca-95c1-4411-a677-f56b48a2909c', 'd267d9b7004c171e893755802c048d28211a71cd98f9388b29fb29914d66bece')],
  ])('%s', (name, expected) => {
    expect(kubeContainerOf(fixture(name))).toEqual(expected);
  });
});

describe('kubeContainerOf: which line', () => {
  const other = OUTER;
  it('reads v1 memory before cpu, cpu before the unified line, and that before the rest', () => {
    const text = [
      `3:name=systemd:/kubepods/pod${UID}/${other}`,
      `0::/kubepods/besteffort/pod${UID}/${other}`,
      `2:cpu,cpuacct:/kubepods/burstable/pod${UID}/${other}`,
      `1:memory:/kubepods/burstable/pod${UID}/${ID}`,
    ].join('\n');
    expect(kubeContainerOf(parsePidCgroup(text))?.containerId).toBe(ID);
    expect(kubeContainerOf(parsePidCgroup(text.replace(/^1:memory:.*$/m, '1:memory:/')))).toEqual(c('burstable', null, UID, other));
    expect(kubeContainerOf(parsePidCgroup(text.replace(/^[12]:.*$/gm, '1:memory:/')))).toEqual(c('besteffort', null, UID, other));
  });
  it('falls back to any line with a pod path (e.g. a named hierarchy)', () => {
    const text = `5:memory:/\n4:cpu,cpuacct:/\n1:name=systemd:${SD_BURSTABLE}/cri-containerd-${ID}.scope\n0::/\n`;
    expect(kubeContainerOf(parsePidCgroup(text))).toEqual(c('burstable', 'containerd'));
  });
  it('gives null for empty text', () => {
    expect(kubeContainerOf(parsePidCgroup(''))).toBeNull();
    expect(kubeContainerOf([])).toBeNull();
  });
  it('leaves truncated lines to parsePidCgroup, which rejects them', () => {
    expect(() => parsePidCgroup(`0:`)).toThrow(ProcParseError);
    expect(() => parsePidCgroup(`8:memory`)).toThrow(ProcParseError);
    // A line cut inside its path is still a line: the path names no container
    expect(kubeContainerOf(parsePidCgroup(`0::${SD_BURSTABLE}/cri-containerd-${ID.slice(0, 30)}`))).toBeNull();
  });
  it('does not change the entries it is given', () => {
    const entries = parsePidCgroup(`0::/\n2:cpu:/\n1:memory:/kubepods/pod${UID}/${ID}\n`);
    const copy = structuredClone(entries);
    kubeContainerOf(entries);
    expect(entries).toEqual(copy);
  });
});
