import fp from 'fastify-plugin';
import type { Reloader } from '../reload.js';

// POST (or PUT) /-/reload, as Prometheus, Alertmanager and blackbox_exporter
// answer it: off unless --web.enable-lifecycle, since anyone who can reach
// the port could otherwise make sockeye re-read its files.
export default fp<{ reloader: Reloader; enabled: boolean }>(async (app, { reloader, enabled }) => {
  app.route({
    method: ['POST', 'PUT'],
    url: '/-/reload',
    handler: async (_req, reply) => {
      reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store');
      if (!enabled) return reply.code(403).send('lifecycle API is not enabled: start sockeye with --web.enable-lifecycle, or send it SIGHUP\n');
      const r = await reloader.reload();
      return reply.code(r.ok ? 200 : 500).send(r.ok ? `${r.message}\n` : `failed to reload config: ${r.message}\n`);
    },
  });
  app.get('/-/reload', async (_req, reply) => reply.code(405).header('allow', 'POST, PUT').type('text/plain; charset=utf-8').send('only POST or PUT requests allowed\n'));
});
