import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';

// STUB: the heartbeat ping API (issue 3) replaces this.
export default fp<{ ctx: AppContext }>(async (_app, _opts) => {});
