import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type ValidatorFactory = NonNullable<CompilersFactory['buildValidator']>;
type SerializerFactory = NonNullable<CompilersFactory['buildSerializer']>;

// Resolved from fastify's own directory: they are its dependencies, not ours.
const fastifyRequire = createRequire(createRequire(import.meta.url).resolve('fastify'));

/** The names a server must never load before a route with a schema asks (test/integration/launch-memory.test.ts). */
export const SCHEMA_COMPILER_MODULES = ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler'] as const;

/**
 * fastify's default validator (ajv) and serializer (fast-json-stringify)
 * compilers, loaded on first use instead of when the instance is created.
 * sockeye's routes declare no schemas, so a server never needs them; eagerly
 * they cost ~2 MiB of RSS (ajv alone is ~90 modules). Same compilers, same
 * behaviour, if a route ever declares a schema.
 */
export function lazySchemaCompilers(): CompilersFactory {
  const [ajvCompiler, fjsCompiler] = SCHEMA_COMPILER_MODULES;
  return {
    buildValidator: onFirstCall<ValidatorFactory>(() => (fastifyRequire(ajvCompiler) as () => ValidatorFactory)()),
    buildSerializer: onFirstCall<SerializerFactory>(() => (fastifyRequire(fjsCompiler) as () => SerializerFactory)()),
  };
}

/** A function that calls `load()` once, on its first call, and forwards every call to what it returned. */
function onFirstCall<F>(load: () => F): F {
  let f: ((...args: unknown[]) => unknown) | undefined;
  return ((...args: unknown[]) => (f ??= load() as (...a: unknown[]) => unknown)(...args)) as F;
}
