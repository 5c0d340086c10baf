#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { buildApp } from './app.js';
import { ConfigError } from './config/errors.js';
import { splitHostPort } from './config/fields.js';
import { defaultConfig, loadConfig, verifyConfigPaths } from './config/load.js';
import { StateReadError } from './heartbeats/state-file.js';
import type { Config } from './config/schema.js';
import { VERSION } from './version.js';
import { describeTargets, startupLine } from './startup-log.js';
import { chooseSource } from './collectors/index.js';
import type { WebConfig } from './web-config/load.js';

const USAGE = `sockeye ${VERSION} — Prometheus exporter sidecar: watches an app's processes through /proc,
runs its health checks, accepts heartbeats, and exposes it all on /metrics.

Usage:
  sockeye [--config FILE] [--listen HOST:PORT] [--web.config.file FILE] [--web.enable-lifecycle]
                                                 serve /metrics (default 0.0.0.0:9855); SIGHUP
                                                 reloads the config file
  sockeye check-config FILE... [--web.config.file FILE]
                                                 validate config files (and a web config) and exit
  sockeye healthcheck                            ask the server started with the same flags and
                                                 environment for /healthz (the image's HEALTHCHECK)
  sockeye inspect [PID|TARGET] [--json] [--watch 2s] [--proc-root DIR]
                                                 print a process's or target's fds, sockets, peers
                                                 and memory, as /metrics sees them (--watch: refresh
                                                 and show what changed); with --config and no
                                                 argument, every configured target; --save also
                                                 stores it as an incident snapshot in stateDir
  sockeye inspect --snapshot ID [--json]         print a stored snapshot with what changed since
                                                 the one before and the healthy baseline
  sockeye --help | --version

Options:
  -c, --config FILE      YAML config (also SOCKEYE_CONFIG). Without one, sockeye watches
                         every process it can see except itself, grouped by command name.
  -l, --listen ADDR      listen address, overrides the config's listen (also SOCKEYE_LISTEN);
                         IPv6 in brackets: [::1]:9855
  --web.config.file FILE TLS and basic auth for every endpoint, in the web config format of
                         Prometheus' exporter-toolkit (node_exporter's --web.config.file; also
                         SOCKEYE_WEB_CONFIG_FILE)
  --web.enable-lifecycle POST /-/reload reloads the config, as SIGHUP does (off: it answers 403)
  -h, --help             this help
  -V, --version          print the version

Served: /metrics (Prometheus text or OpenMetrics), / (status page), /api/status, /api/snapshots,
/healthz (503 when the scheduler or a check is stale), /readyz, /ping/<heartbeat>,
/-/reload (with --web.enable-lifecycle).

Exit status: 0 ok, 1 runtime failure, 2 bad usage or invalid config.`;

/** Bad command line: the message, a pointer to --help, exit 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const GLOBAL_OPTIONS: Options = {
  config: { type: 'string', short: 'c' },
  listen: { type: 'string', short: 'l' },
  'web.config.file': { type: 'string' },
  'web.enable-lifecycle': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
};

/**
 * A subcommand: its own options on top of the global ones, and a run that
 * returns the exit code (or never resolves while serving). Add one here.
 */
interface Command {
  options?: Options;
  run(values: Values, args: string[]): Promise<number | 'serving'>;
}

const str = (v: Values[string]): string | undefined => (typeof v === 'string' ? v : undefined);

/** Where the server listens: --listen, else SOCKEYE_LISTEN, else the config's listen. */
function resolveListen(values: Values, config: Config): { listen: string; host: string; port: number } {
  const [listen, from] = values.listen !== undefined ? [str(values.listen)!, '--listen'] : process.env.SOCKEYE_LISTEN ? [process.env.SOCKEYE_LISTEN, 'SOCKEYE_LISTEN'] : [config.listen, 'listen'];
  const addr = splitHostPort(listen);
  if (!addr) throw new UsageError(`${from}: expected host:port (IPv6 in brackets, e.g. [::1]:9855), got ${JSON.stringify(listen)}`);
  return { listen, ...addr };
}

/**
 * The web config file's settings. Its schema and TLS tables are loaded only
 * when there is such a file: most sidecars run without one.
 */
async function loadWebConfig(file: string): Promise<WebConfig> {
  return (await import('./web-config/load.js')).loadWebConfig(file);
}

/** The config file, its config and the web config the server (or its healthcheck) runs with. */
async function resolveServer(values: Values): Promise<{ file: string | undefined; config: Config; web: WebConfig | undefined }> {
  const file = str(values.config) ?? process.env.SOCKEYE_CONFIG;
  const webFile = str(values['web.config.file']) ?? process.env.SOCKEYE_WEB_CONFIG_FILE;
  const [config, web] = await Promise.all([file ? loadConfig(file) : defaultConfig(), webFile ? loadWebConfig(webFile) : undefined]);
  return { file, config, web };
}

async function serve(values: Values, args: string[]): Promise<'serving'> {
  if (args.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args[0])}`);
  const { file, config, web } = await resolveServer(values);
  await verifyPaths(config, file ?? 'config');
  const { listen, ...addr } = resolveListen(values, config);
  // The kernel source, chosen here once to be named in the startup line.
  const source = chooseSource(config.procRoot, undefined, config.mode);
  const collection = { source: source.kind };
  // A reload reads the same file with the same flags and environment, checked as at startup.
  const reload = file
    ? async () => {
        const next = await loadConfig(file);
        await verifyPaths(next, file);
        return { ...next, listen: resolveListen(values, next).listen };
      }
    : undefined;
  const app = await buildApp({ ...config, listen }, { web, collection, loadConfig: reload, enableLifecycle: values['web.enable-lifecycle'] === true });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      // A second Ctrl-C means "now".
      process.exit(1);
    }
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
  // Every outcome is logged by the reload itself.
  process.on('SIGHUP', () => {
    if (!closing) void app.reloadConfig();
  });

  try {
    await app.listen({ host: addr.host || '0.0.0.0', port: addr.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'address not available on this host' : (err as Error).message;
    throw new RuntimeError(`cannot listen on ${listen}: ${why}`);
  }
  const { fields, msg } = startupLine({ configFile: file, config, listen, web, source });
  app.log.info(fields, msg);
  return 'serving';
}

/** An expected failure at run time (port taken): one line, exit 1, no stack. */
class RuntimeError extends Error {}

/** A config that parses but cannot work on this host (no proc tree, read-only stateDir). */
async function verifyPaths(config: Config, source: string): Promise<void> {
  const problems = await verifyConfigPaths(config);
  if (problems.length > 0) throw new ConfigError(problems, source, 'configuration cannot work on this host');
}

async function checkConfig(values: Values, args: string[]): Promise<number> {
  const files = args.length > 0 ? args : [str(values.config) ?? process.env.SOCKEYE_CONFIG].filter((f): f is string => f !== undefined);
  const webFile = str(values['web.config.file']);
  if (files.length === 0 && webFile === undefined) throw new UsageError('check-config: expected a config file path');
  const checks: Array<[string, () => Promise<string>]> = files.map((file) => [
    file,
    async () => {
      const config = await loadConfig(file);
      await verifyPaths(config, file);
      const t = config.mode === 'node' ? describeTargets(config) : config.targets ? `${config.targets.length} target(s)` : 'default targets (every process, by command name)';
      return `${t}, ${config.checks.length} check(s), ${config.heartbeats.length} heartbeat(s)`;
    },
  ]);
  if (webFile !== undefined) {
    checks.push([
      webFile,
      async () => {
        const web = await loadWebConfig(webFile);
        const on = [web.tls && `TLS (client certificates: ${web.tls.clientAuth})`, web.users.size > 0 && `basic auth (${web.users.size} user(s))`, web.rateLimit && 'rate limit'].filter(Boolean);
        return `web config, ${on.length > 0 ? on.join(', ') : 'nothing turned on'}`;
      },
    ]);
  }
  let code = 0;
  for (const [file, check] of checks) {
    try {
      process.stdout.write(`${file}: ok — ${await check()}\n`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${err.message}\n`);
      code = 2;
    }
  }
  return code;
}

/**
 * GET /healthz of the server this environment and these flags would start,
 * on loopback: 0 when it answers 200, else 1 with the reason. For a
 * container HEALTHCHECK, which cannot know the listen address otherwise.
 */
async function healthcheck(values: Values, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args[0])}`);
  const { config, web } = await resolveServer(values);
  const { host, port } = resolveListen(values, config);
  const loopback = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const url = `${web?.tls ? 'https' : 'http'}://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}/healthz`;
  const { request } = web?.tls ? await import('node:https') : await import('node:http');
  const result = await new Promise<string | undefined>((resolve) => {
    // Its own certificate need not name the loopback address: this asks whether the server is healthy, not who it is.
    const req = request(url, { timeout: 4000, rejectUnauthorized: false }, (res: import('node:http').IncomingMessage) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}${res.statusCode === 401 ? ' (basic auth is on: this healthcheck has no password; see docs/deploy.md)' : ''}`);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 4 s')));
    req.on('error', (err: Error) => resolve(err.message));
    req.end();
  });
  if (result === undefined) return 0;
  process.stderr.write(`sockeye healthcheck: ${url}: ${result}\n`);
  return 1;
}

/** Each command's code is loaded only when it is asked for: a server never holds inspect's. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  'check-config': async () => ({ run: checkConfig }),
  healthcheck: async () => ({ run: healthcheck }),
  inspect: async () => {
    const { INSPECT_OPTIONS, runInspect } = await import('./inspect/command.js');
    return { options: INSPECT_OPTIONS, run: runInspect };
  },
};

async function parse(argv: string[]): Promise<{ command: Command | undefined; values: Values; args: string[] }> {
  // First pass only finds the command word, so that each command can bring its own options.
  const { tokens } = parseArgs({ args: argv, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional');
  const command = first?.kind === 'positional' ? first.value : undefined;
  if (command !== undefined && !Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const cmd = command === undefined ? undefined : await COMMANDS[command]!();
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...GLOBAL_OPTIONS, ...cmd?.options },
    allowPositionals: true,
  });
  return { command: cmd, values, args: cmd ? positionals.slice(1) : positionals };
}

/** Runs the CLI; returns the exit code, or 'serving' while the server runs. */
export async function main(argv: string[]): Promise<number | 'serving'> {
  try {
    const { command, values, args } = await parse(argv);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.version) {
      process.stdout.write(`sockeye ${VERSION}\n`);
      return 0;
    }
    return command ? await command.run(values, args) : await serve(values, args);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_')) {
      // node:util's unknown-option text runs on about "--" positionals; the option is what matters.
      const message = (err as Error).message.replace(/^Unknown option '([^']+)'.*$/s, 'unknown option $1');
      process.stderr.write(`sockeye: ${message}\nTry 'sockeye --help'.\n`);
      return 2;
    }
    if (err instanceof RuntimeError || err instanceof StateReadError) {
      process.stderr.write(`sockeye: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`sockeye: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

// Run only as the entry point (also through npm's bin symlink), so tests can import main().
const entry = process.argv[1];
if (entry && realpathSync(entry) === fileURLToPath(import.meta.url)) {
  const code = await main(process.argv.slice(2));
  if (code !== 'serving') process.exitCode = code;
}
