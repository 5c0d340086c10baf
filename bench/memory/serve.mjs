// sockeye from the built dist/, with collection options the CLI does not
// offer (inline collection, other worker heap limits), for bench/memory.ts
// only. Plain JS so the measured process carries no tsx.
//   node serve.mjs CONFIG HOST PORT '{"mode":"inline"}'
const [configPath, host, port, collection] = process.argv.slice(2);
const dist = new URL('../../dist/', import.meta.url);
const { loadConfig } = await import(new URL('config/load.js', dist).href);
const { buildApp } = await import(new URL('app.js', dist).href);
const app = await buildApp(await loadConfig(configPath), { collection: JSON.parse(collection ?? '{}') });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
await app.listen({ host, port: Number(port) });
