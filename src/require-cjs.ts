import { createRequire } from 'node:module';

/**
 * `require` for the CommonJS packages whose entry file is large (fastify,
 * dns-packet), instead of `import`. An ES import of a CommonJS module makes
 * Node scan its source for the names it exports (cjs-module-lexer, in
 * JavaScript); over those files the scan runs hot enough for V8 to optimize
 * it on its background threads, and that compiler's malloc'd memory stays
 * resident: 2–10 MiB more RSS from startup on, a different amount each run
 * (docs/performance.md). `require` loads the same module without the scan.
 * The small CommonJS packages (prom-client, yaml, fastify-plugin) are
 * imported: their scan stays cold.
 */
export const requireCjs = createRequire(import.meta.url);
