#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { splitHostPort } from './config/fields.js';
import { ConfigError } from './config/errors.js';
import { defaultConfig, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { VERSION } from './version.js';

const USAGE = `sockeye ${VERSION} — Prometheus exporter sidecar: watches an app's processes through /proc,
runs its health checks, accepts heartbeats, and exposes it all on /metrics.

Usage:
  sockeye [--config FILE] [--listen HOST:PORT]   serve /metrics (default 0.0.0.0:9855)
  sockeye check-config FILE                      validate a config file and exit
  sockeye --help | --version

Options:
  -c, --config FILE      YAML config (also SOCKEYE_CONFIG). Without one, sockeye watches
                         every process it can see except itself, grouped by command name.
  -l, --listen ADDR      listen address, overrides the config's listen (also SOCKEYE_LISTEN)
  -h, --help             this help
  -V, --version          print the version

Exit status: 0 ok, 1 runtime failure, 2 bad usage or invalid config.`;

class UsageError extends Error {}

async function configFrom(file: string | undefined): Promise<Config> {
  return file ? loadConfig(file) : defaultConfig();
}

async function serve(values: { config?: string; listen?: string }): Promise<void> {
  const config = await configFrom(values.config ?? process.env.SOCKEYE_CONFIG);
  const listen = values.listen ?? process.env.SOCKEYE_LISTEN ?? config.listen;
  const addr = splitHostPort(listen);
  if (!addr) throw new UsageError(`--listen: expected host:port (IPv6 in brackets), got ${JSON.stringify(listen)}`);
  const app = await buildApp({ ...config, listen });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // A stuck close must not keep the container from stopping.
    setTimeout(() => process.exit(1), 10_000).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ host: addr.host || '0.0.0.0', port: addr.port });
}

async function checkConfig(file: string | undefined): Promise<void> {
  if (!file) throw new UsageError('check-config: expected a config file path');
  const config = await loadConfig(file);
  const t = config.targets ? `${config.targets.length} target(s)` : 'default targets (every process, by command name)';
  process.stdout.write(`${file}: ok — ${t}, ${config.checks.length} check(s), ${config.heartbeats.length} heartbeat(s)\n`);
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        listen: { type: 'string', short: 'l' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (err) {
    process.stderr.write(`sockeye: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  try {
    const [command, ...rest] = positionals;
    switch (command) {
      case undefined:
        await serve(values);
        return -1; // keep running
      case 'check-config':
        await checkConfig(rest[0] ?? values.config);
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`sockeye: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`sockeye: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
