import { z } from 'zod';
import { resourceKindSchema } from './ledger-record.ts';

/**
 * A running mock fleet, as it describes itself: the one JSON line `spillway fleet up --json`
 * prints, `GET /fleet` on its control API, and what a run attached to a fleet it did not start
 * reads from the file that line was saved to (`spillway run --fleet fleet.json`). The fleet
 * writes it (mocks/aoai/fleet.ts); the harness checks it with this schema before using it.
 *
 * Strict, like Spillway's other own formats: a field the contract does not know is refused, so
 * a hand-edited file with a misspelt key is caught instead of half-read. The URLs are those the
 * listeners report; a fleet reached from another host has them edited to that host's address.
 */

/** An http(s) origin a listener answers on; port 0 means a fleet that was never started. */
const listenerUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .refine((url) => URL.parse(url)?.port !== '0', { message: 'port 0: this describes a fleet that was never started (save the line `spillway fleet up --json` prints)' });

export const fleetDeploymentSchema = z.strictObject({
  name: z.string().min(1),
  model: z.string().min(1),
  /** PTU: tokens per minute processed; PAYG: the TPM quota. */
  capacityTpm: z.int().positive(),
});

export const fleetBackendSchema = z.strictObject({
  /** The resource's name in the topology; the ledger's `backend`. */
  name: z.string().min(1),
  region: z.string().min(1),
  kind: resourceKindSchema,
  /** Where this resource's Azure OpenAI API answers, e.g. http://127.0.0.1:18001. */
  endpoint: listenerUrlSchema,
  deployments: z.array(fleetDeploymentSchema).min(1),
});

export const fleetDescriptionSchema = z
  .strictObject({
    backends: z.array(fleetBackendSchema).min(1),
    /** The control API's origin (faults, ledger, stats; see docs/fleet.md). */
    control: listenerUrlSchema,
    /** The ledger file on the fleet's own machine; null when it keeps its ledger in memory only. */
    ledger: z.string().min(1).nullable(),
  })
  .superRefine((fleet, ctx) => {
    // Backend names key the ledger and fault targets: two with one name could not be told apart.
    const seen = new Set<string>();
    fleet.backends.forEach((backend, index) => {
      if (seen.has(backend.name)) ctx.addIssue({ code: 'custom', path: ['backends', index, 'name'], message: `"${backend.name}" names two backends` });
      seen.add(backend.name);
    });
  });

export type FleetDescription = z.infer<typeof fleetDescriptionSchema>;
export type FleetBackend = z.infer<typeof fleetBackendSchema>;
