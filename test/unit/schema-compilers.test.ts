// The lazily loaded compilers are fastify's own: a route that declares a
// schema is validated and serialized exactly as with the defaults.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazySchemaCompilers } from '../../src/schema-compilers.js';

describe('lazySchemaCompilers', () => {
  it('validates a body and serializes a response by schema when a route asks', async () => {
    const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers() } });
    app.post(
      '/echo',
      {
        schema: {
          body: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: 1 } } },
          response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
        },
      },
      async (req) => ({ n: (req.body as { n: number }).n, secret: 'not in the schema' }),
    );
    try {
      const bad = await app.inject({ method: 'POST', url: '/echo', payload: { n: 0 } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/body\/n must be >= 1/);
      const ok = await app.inject({ method: 'POST', url: '/echo', payload: { n: 3 } });
      expect(ok.statusCode).toBe(200);
      // fast-json-stringify drops what the response schema does not name.
      expect(ok.json()).toEqual({ n: 3 });
    } finally {
      await app.close();
    }
  });
});
