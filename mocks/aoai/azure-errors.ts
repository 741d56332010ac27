import { bufferedResponse } from '../shared/msw-node-server.ts';
import type { ResponseHeaders } from './response-headers.ts';

/**
 * Error responses in the shapes Azure OpenAI returns them. Gateways and SDKs branch on
 * these status codes, codes and headers, so they are kept close to the real service.
 *
 * Captured from real responses (see docs/fleet.md for sources): missing api-version (404
 * "Resource not found"), an api-version Azure does not serve (the same 404; api-versions.ts),
 * DeploymentNotFound, 401, OperationNotSupported, context length,
 * the Standard 429 (RateLimitReached), the high-demand 429, 500. No capture was found for a
 * malformed body, a wrong content type, an oversize body or the PTU 429 body: those use the
 * OpenAI shape or our own wording, and say so in docs/fleet.md.
 */
export interface AzureError {
  status: number;
  body: { error: Record<string, unknown> };
  headers?: Record<string, string>;
}

const invalidRequest = (message: string, param: string | null = null, code: string | null = null): AzureError => ({
  status: 400,
  body: { error: { message, type: 'invalid_request_error', param, code } },
});

export const azureErrors = {
  missingApiVersion: (): AzureError => ({
    status: 404,
    body: { error: { code: '404', message: 'Resource not found' } },
  }),
  unsupportedApiVersion: (): AzureError => ({
    status: 404,
    body: { error: { code: '404', message: 'Resource not found' } },
  }),
  deploymentNotFound: (): AzureError => ({
    status: 404,
    body: {
      error: {
        code: 'DeploymentNotFound',
        message: 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
      },
    },
  }),
  unauthorized: (): AzureError => ({
    status: 401,
    body: {
      error: {
        code: '401',
        message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      },
    },
  }),
  unsupportedMediaType: (contentType: string | null): AzureError => ({
    status: 415,
    body: {
      error: {
        code: 'UnsupportedMediaType',
        message: `Unsupported Content-Type ${contentType ?? '(none)'}. Only 'application/json' is supported for this operation.`,
      },
    },
  }),
  bodyTooLarge: (limitBytes: number): AzureError => ({
    status: 413,
    body: { error: { code: 'RequestEntityTooLarge', message: `The request body is larger than the limit of ${limitBytes} bytes.` } },
  }),
  malformedJson: (): AzureError =>
    invalidRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
    ),
  invalidField: (message: string, param: string): AzureError => invalidRequest(message, param),
  operationNotSupported: (operation: string, model: string): AzureError => ({
    status: 400,
    body: {
      error: {
        code: 'OperationNotSupported',
        message: `The ${operation} operation does not work with the specified model, ${model}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.`,
      },
    },
  }),
  contextLengthExceeded: (limit: number, requested: number, prompt: number, completion: number): AzureError =>
    invalidRequest(
      `This model's maximum context length is ${limit} tokens. However, you requested ${requested} tokens (${prompt} in the messages, ${completion} in the completion). Please reduce the length of the messages or completion.`,
      'messages',
      'context_length_exceeded',
    ),
  /** Standard (PAYG) quota exceeded, in the current wording. Retry-After in seconds; reset headers per reason. */
  paygRateLimited: (args: { reason: 'tpm' | 'rpm'; retryAfterSeconds: number; resetTokensSeconds: number; resetRequestsSeconds: number; operationName: string; apiVersion: string; model: string; deployment: string; region: string }): AzureError => ({
    status: 429,
    body: {
      error: {
        code: 'RateLimitReached',
        message: `Your requests to ${args.model} for ${args.deployment} in ${args.region} have exceeded the ${args.reason === 'tpm' ? 'token rate limit' : 'call rate limit'} for your current AIServices S0 pricing tier. This request was for ${args.operationName} under Azure OpenAI API version ${args.apiVersion}. Please retry after ${args.retryAfterSeconds} seconds. To increase your default rate limit, visit: https://aka.ms/oai/quotaincrease.`,
      },
    },
    headers: {
      'retry-after': String(args.retryAfterSeconds),
      'x-ratelimit-reset-tokens': String(args.resetTokensSeconds),
      'x-ratelimit-reset-requests': String(args.resetRequestsSeconds),
      'policy-id': args.reason === 'tpm' ? 'DeploymentRatelimit-Token' : 'DeploymentRatelimit-Call',
    },
  }),
  /** A capacity 429 below quota ("high demand"), as Standard deployments sometimes return. */
  highDemand: (retryAfterSeconds: number): AzureError => ({
    status: 429,
    body: {
      error: {
        code: '429',
        message: `The system is currently experiencing high demand and cannot process your request. Your request exceeds the maximum usage size allowed during peak load. Please retry after ${retryAfterSeconds} seconds. For improved latency reliability, consider switching to Provisioned Throughput.`,
      },
    },
    headers: { 'retry-after': String(retryAfterSeconds) },
  }),
  /** Provisioned (PTU) deployment over 100% utilization: retry-after-ms and retry-after. */
  ptuOverUtilized: (retryAfterMs: number, operationName: string, apiVersion: string): AzureError => ({
    status: 429,
    body: {
      error: {
        code: '429',
        message: `Requests to the ${operationName} Operation under Azure OpenAI API version ${apiVersion} have exceeded the provisioned throughput of this deployment. Please retry after ${Math.max(1, Math.ceil(retryAfterMs / 1000))} seconds.`,
      },
    },
    headers: { 'retry-after-ms': String(retryAfterMs), 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  }),
  /** An injected server error, with the bodies Azure uses for 500 and 503. */
  injectedStatus: (status: number, retryAfterSeconds?: number): AzureError => {
    const headers: Record<string, string> = retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {};
    if (status === 429) {
      const seconds = retryAfterSeconds ?? 1;
      return { status, headers: { 'retry-after': String(seconds), ...headers }, body: { error: { code: '429', message: `Rate limit is exceeded. Try again in ${seconds} seconds.` } } };
    }
    if (status === 503) {
      return { status, headers, body: { error: { code: 'InternalServerError', message: 'The service is temporarily unable to process your request. Please try again later.' } } };
    }
    if (status >= 500) {
      return { status, headers, body: { error: { message: 'The server had an error processing your request. Sorry about that! You can retry your request, or contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if you keep seeing this error.', type: 'server_error', param: null, code: null } } };
    }
    return { status, headers, body: { error: { code: String(status), message: `Injected fault: status ${status}.` } } };
  },
} as const;

/** Adds the error's headers (and content-type) to `headers`, lower-case names as the Response sees them. */
export function errorResponse(error: AzureError, headers: ResponseHeaders): Response {
  headers['content-type'] = 'application/json';
  for (const [name, value] of Object.entries(error.headers ?? {})) headers[name.toLowerCase()] = value;
  return bufferedResponse(JSON.stringify(error.body), { status: error.status, headers });
}
