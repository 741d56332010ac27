import { startFleet, type FleetOptions, type RunningFleet } from '../../mocks/aoai/fleet.ts';

/**
 * The one rule for the fleet's control API token, for every command that starts a fleet
 * (`spillway run`, `gateway up`, `fleet up`): when SPILLWAY_CONTROL_TOKEN is set (and not
 * empty), the control API requires `Authorization: Bearer <token>` from every caller, loopback
 * included; unset, it answers loopback callers only. Every such command starts its fleet
 * through startControlledFleet, so no path can forget the variable (`gateway up` and the
 * embedded topology of a run once did, and answered without it).
 *
 * The token is handed to the fleet and nowhere else: it is never printed, and the fleet's
 * description (what `--json` prints and the journal records) does not carry it.
 */
export const controlTokenVariable = 'SPILLWAY_CONTROL_TOKEN';

/** The token the environment sets; an empty value counts as unset (as `VAR= cmd` means "off"). */
export function controlTokenFrom(env: NodeJS.ProcessEnv): string | undefined {
  const token = env[controlTokenVariable];
  return token ? token : undefined;
}

/** startFleet, with the control token taken from `env` (default: this process's environment). */
export function startControlledFleet(options: Omit<FleetOptions, 'controlToken'>, env: NodeJS.ProcessEnv = process.env): Promise<RunningFleet> {
  const token = controlTokenFrom(env);
  return startFleet({ ...options, ...(token !== undefined ? { controlToken: token } : {}) });
}
