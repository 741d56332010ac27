/**
 * zod schemas for the APIOps artifact files: ARM-style bodies `{ "properties": { … } }` as the
 * APIOps extractor writes them (Azure/apiops SampleArtifacts) and the REST API defines them.
 * Objects are not strict: extracted files carry many fields (description, authenticationSettings,
 * terms, tags, …) that do not change gateway behaviour, and a real team's folder must load.
 * docs/apim-config.md lists what is read and what is ignored.
 */
import { z } from 'zod';

const nonEmpty = z.string().min(1, 'must not be empty');

/** apis/<api>/apiInformation.json */
export const apiInformationSchema = z.object({
  properties: z.object({
    displayName: nonEmpty,
    // "" is a valid suffix (an API at the root); slashes around it are dropped when loading.
    path: z.string(),
    serviceUrl: z.string().optional(),
    protocols: z.array(z.enum(['http', 'https', 'ws', 'wss'])).min(1).optional(),
    subscriptionRequired: z.boolean().optional(),
    subscriptionKeyParameterNames: z.object({ header: nonEmpty.optional(), query: nonEmpty.optional() }).optional(),
    // Only plain HTTP APIs are emulated; SOAP, GraphQL, WebSocket and gRPC APIs are refused by name.
    type: z.string().optional(),
    apiType: z.string().optional(),
  }),
});
export type ApiInformation = z.infer<typeof apiInformationSchema>;

/** products/<product>/productInformation.json */
export const productInformationSchema = z.object({
  properties: z.object({
    displayName: nonEmpty,
    subscriptionRequired: z.boolean().optional(),
    state: z.enum(['published', 'notPublished']).optional(),
  }),
});
export type ProductInformation = z.infer<typeof productInformationSchema>;

/** products/<product>/apis.json: the APIs in the product, by API name. */
export const productApisSchema = z.array(z.object({ name: nonEmpty }));

const statusCodeRangeSchema = z.object({ min: z.int(), max: z.int() });

const circuitBreakerRuleSchema = z.object({
  name: nonEmpty,
  // Durations stay strings here so parseIsoDuration can name the bad text in its message.
  tripDuration: z.string(),
  acceptRetryAfter: z.boolean().optional(),
  failureCondition: z.object({
    count: z.number().optional(),
    percentage: z.number().optional(),
    interval: z.string(),
    statusCodeRanges: z.array(statusCodeRangeSchema).optional(),
    errorReasons: z.array(z.string()).optional(),
  }),
});

/** backends/<backend>/backendInformation.json */
export const backendInformationSchema = z.object({
  properties: z.object({
    // APIM writes "Single" / "Pool"; Bicep samples often write them in lower case.
    type: z
      .string()
      .refine((t) => /^(single|pool)$/i.test(t), { message: 'must be "Single" or "Pool"' })
      .optional(),
    url: z.string().optional(),
    protocol: z.string().optional(),
    pool: z
      .object({
        // priority and weight are checked by validatePool so its messages (0-100) apply.
        services: z.array(z.object({ id: nonEmpty, priority: z.number().nullish(), weight: z.number().nullish() })),
      })
      .optional(),
    circuitBreaker: z.object({ rules: z.array(circuitBreakerRuleSchema) }).optional(),
  }),
});
export type BackendInformation = z.infer<typeof backendInformationSchema>;

/** named values/<name>/namedValueInformation.json */
export const namedValueInformationSchema = z.object({
  properties: z.object({
    displayName: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-" (APIM display name rules)'),
    value: z.string().optional(),
    secret: z.boolean().optional(),
    keyVault: z.object({ secretIdentifier: z.string().optional() }).optional(),
  }),
});
export type NamedValueInformation = z.infer<typeof namedValueInformationSchema>;

/** policy fragments/<fragment>/policyFragmentInformation.json (description only; optional file). */
export const policyFragmentInformationSchema = z.object({
  properties: z.object({ description: z.string().optional(), format: z.string().optional() }).optional(),
});
