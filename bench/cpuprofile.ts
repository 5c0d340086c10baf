// Reading V8 CPU profiles (.cpuprofile, as written by node --cpu-prof or the
// inspector): self time per function, to say what dominates a cost.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sig } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time by function (name + file:line), largest first, as [label, ms, share]. */
export function topFrames(profile: Profile, n: number): Array<[string, number, number]> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  // timeDeltas[i] is the time before sample i; attribute it to the sampled node.
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    const us = deltas[i] ?? 0;
    if (!node || us <= 0) continue;
    const f = node.callFrame;
    const file = f.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/').replace(/^node:/, '');
    const label = `${f.functionName || '(anonymous)'}${file ? ` ${file}${f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}` : ''}`;
    self.set(label, (self.get(label) ?? 0) + us);
    total += us;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([label, us]) => [label, us / 1000, us / total]);
}

/** Top frames of every .cpuprofile under dir/<label>/, one block per file (one per thread). */
export function summarizeProfiles(dir: string, n: number): string[] {
  const out: string[] = [];
  let labels: string[];
  try {
    labels = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const label of labels) {
    for (const file of readdirSync(join(dir, label)).filter((f) => f.endsWith('.cpuprofile')).sort()) {
      const profile = JSON.parse(readFileSync(join(dir, label, file), 'utf8')) as Profile;
      const seconds = (profile.endTime - profile.startTime) / 1e6;
      out.push(`${label}/${file} (${sig(seconds)} s profiled):`);
      for (const [frame, totalMs, share] of topFrames(profile, n)) out.push(`  ${sig(totalMs).padStart(7)} ms ${`${sig(share * 100)}%`.padStart(6)}  ${frame}`);
    }
  }
  return out;
}
