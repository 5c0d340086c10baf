import { BUILD_INFO } from './build-info.js';
import { describeSource, type SourceChoice } from './collectors/index.js';
import type { Config } from './config/schema.js';
import type { WebConfig } from './web-config/load.js';

export interface StartupFacts {
  /** The config file, or undefined for the zero-config default. */
  configFile: string | undefined;
  config: Config;
  /** host:port as given. */
  listen: string;
  web: WebConfig | undefined;
  /** The kernel source collections use, and why. */
  source: SourceChoice;
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** What the config watches, in words: the startup line, check-config and a reload say it alike. */
export function describeTargets(config: Config): string {
  if (config.mode === 'node') return `node mode: every container of the node${config.node.kubernetes.enabled ? ', named from the pod list' : ''} (at most ${config.node.maxContainers} targets)`;
  return config.targets ? count(config.targets.length, 'target') : 'every process, grouped by command name';
}

/**
 * The one line a person reads at startup: what runs, from which config, with
 * how much in it, where its state is, where it listens and how it collects.
 * The same facts as fields, for log queries.
 */
export function startupLine(f: StartupFacts): { fields: Record<string, unknown>; msg: string } {
  const { config, web } = f;
  const source = describeSource(f.source);
  const scheme = web?.tls ? 'https' : 'http';
  const guards = [web?.tls && 'TLS', web?.tls && web.tls.clientAuth !== 'NoClientCert' && `client certificates (${web.tls.clientAuth})`, web && web.users.size > 0 && 'basic auth', web?.rateLimit && 'rate limit'].filter(Boolean);
  const webText = web ? `, web config ${web.file}${guards.length ? ` (${guards.join(', ')})` : ''}` : '';
  const what = f.configFile
    ? `config ${f.configFile}: ${describeTargets(config)}, ${count(config.checks.length, 'check')}, ${count(config.heartbeats.length, 'heartbeat')}`
    : 'no config: watching every process, grouped by command name';
  return {
    fields: {
      version: BUILD_INFO.version,
      revision: BUILD_INFO.revision,
      nodejs: BUILD_INFO.nodejs,
      config: f.configFile ?? null,
      mode: config.mode,
      targets: config.targets?.length ?? null,
      checks: config.checks.length,
      heartbeats: config.heartbeats.length,
      stateDir: config.stateDir,
      listen: f.listen,
      webConfig: web?.file ?? null,
      tls: Boolean(web?.tls),
      basicAuth: Boolean(web && web.users.size > 0),
      ...source.fields,
    },
    msg: `sockeye ${BUILD_INFO.version} (revision ${BUILD_INFO.revision}, Node.js ${BUILD_INFO.nodejs}) serving ${scheme}://${f.listen}${webText}; ${what}; stateDir ${config.stateDir}; ${source.text}`,
  };
}
