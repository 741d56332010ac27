import { http, HttpResponse, type RequestHandler } from 'msw';
import type { MockLogAnalyticsWorkspace } from './mock-workspace.ts';

/** Where the query API lives: the SDK's default endpoint (the public cloud), with its version. */
export const queryApiBase = 'https://api.loganalytics.io/v1';

/**
 * msw handlers for the Log Analytics query API: `POST {base}/workspaces/{id}/query` answered
 * by the mock workspace of that id (mock-workspace.ts), and a 404 for any other workspace, in
 * Log Analytics' error shape. Only this operation: the batch operation (`/$batch`) is being
 * retired and Spillway does not use it, so a request to it goes unhandled.
 */
export function logAnalyticsHandlers(workspaces: readonly MockLogAnalyticsWorkspace[], base = queryApiBase): RequestHandler[] {
  return [
    http.post(`${base}/workspaces/:workspaceId/query`, async ({ request, params }) => {
      const id = String(params.workspaceId).toLowerCase();
      const workspace = workspaces.find((w) => w.id.toLowerCase() === id);
      if (!workspace) {
        return HttpResponse.json({ error: { code: 'WorkspaceNotFoundError', message: `The workspace ${String(params.workspaceId)} could not be found` } }, { status: 404 });
      }
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        body = null;
      }
      const answer = workspace.answer(body, request.headers.get('authorization'));
      return HttpResponse.json(answer.body as Record<string, unknown>, { status: answer.status, headers: answer.headers });
    }),
  ];
}
