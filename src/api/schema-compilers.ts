// fastify's schema compilers, replaced (see noSchemaCompilers).
import type { FastifyServerOptions } from 'fastify';

/**
 * Bodies are checked with zod (parseBody) and no route declares a schema, so fastify's own schema
 * compilers (ajv and fast-json-stringify, ~0.6 MB of source in ~100 modules held by the idle
 * server, issue #18) are never loaded; a route given a schema fails at start, saying so.
 */
const noSchemaCompiler = () => ({ url, method }: { url: string; method: string }): never => {
  throw new Error(`${method} ${url}: route schemas are not compiled here; check the body with zod (parseBody in src/api/errors.ts)`);
};
type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
// (fastify's types describe its default compilers' own signatures; a compiler is called with the route, as here.)
export const noSchemaCompilers = { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } as unknown as Compilers;

