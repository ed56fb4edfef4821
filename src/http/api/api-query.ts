import { z } from 'zod/v4';
import type { ApiRoute } from './api-route.ts';

const format = z
  .enum(['json', 'csv'])
  .default('json')
  .describe('`csv` for the same data as a CSV document (text/csv).');

const withFormat = new WeakMap<ApiRoute, z.ZodType>();

/**
 * The query a route takes: its own, plus `format` where it offers CSV. Computed once per
 * route, so the router and the document read the same schema.
 */
export function queryOf(route: ApiRoute): z.ZodType | undefined {
  if (!route.csv) return route.query;
  let query = withFormat.get(route);
  if (!query) {
    const own = route.query ?? z.object({});
    if (!(own instanceof z.ZodObject)) {
      throw new Error(`${route.operationId}: a query schema must be an object`);
    }
    query = own.extend({ format });
    withFormat.set(route, query);
  }
  return query;
}
