import { http, HttpResponse, type RequestHandler } from 'msw';
import { ZodError } from 'zod';
import type { FaultRules } from './fault-rules.ts';
import type { Ledger } from './ledger.ts';

/**
 * The fleet's control API, as msw handlers served like the fleet itself:
 *   GET    /health                  liveness
 *   GET    /fleet                   the fleet description (as `fleet up --json` prints it)
 *   GET    /faults                  active fault rules
 *   POST   /faults                  inject a rule (body: see fault-rules.ts); 201 with the rule
 *   DELETE /faults/:id              clear one rule
 *   DELETE /faults[?backend=&region=]  clear all, or those aimed at a backend or region
 *   GET    /ledger?after=N&limit=M  ledger records after seq N (the newest window only), and the
 *                                  newest seq (`last`); limit=0 reads no record, only `last`
 *   GET    /stats                   requests per backend and status since start
 */
export interface ControlApi {
  describe: () => object;
  faults: FaultRules;
  ledger: Ledger;
  stats: () => Record<string, Record<string, number>>;
}

export function controlHandlers(api: ControlApi): RequestHandler[] {
  return [
    http.get('/health', () => HttpResponse.json({ ok: true })),
    http.get('/fleet', () => HttpResponse.json(api.describe())),
    http.get('/faults', () => HttpResponse.json({ faults: api.faults.list() })),
    http.post('/faults', async ({ request }) => {
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        return HttpResponse.json({ error: 'the body is not valid JSON' }, { status: 400 });
      }
      try {
        return HttpResponse.json(api.faults.inject(body), { status: 201 });
      } catch (error) {
        if (error instanceof ZodError) {
          const problems = error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
          return HttpResponse.json({ error: 'invalid fault rule', problems }, { status: 400 });
        }
        throw error;
      }
    }),
    http.delete('/faults/:id', ({ params }) =>
      api.faults.clear(String(params.id)) ? new HttpResponse(null, { status: 204 }) : HttpResponse.json({ error: `no fault rule ${String(params.id)}` }, { status: 404 }),
    ),
    http.delete('/faults', ({ request }) => {
      const query = new URL(request.url).searchParams;
      const filter: { backend?: string; region?: string } = {};
      const backend = query.get('backend');
      const region = query.get('region');
      if (backend) filter.backend = backend;
      if (region) filter.region = region;
      return HttpResponse.json({ cleared: api.faults.clearAll(filter) });
    }),
    http.get('/ledger', ({ request }) => {
      const query = new URL(request.url).searchParams;
      const after = Number(query.get('after') ?? 0);
      // An empty `limit=` is a mistake, not a request for no records (Number('') is 0).
      const limit = query.get('limit') === '' ? Number.NaN : Number(query.get('limit') ?? 1000);
      if (!Number.isInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 0 || limit > 10_000) {
        return HttpResponse.json({ error: 'after must be an integer >= 0 and limit an integer from 0 to 10000' }, { status: 400 });
      }
      return HttpResponse.json(api.ledger.read(after, limit));
    }),
    http.get('/stats', () => HttpResponse.json(api.stats())),
  ];
}
