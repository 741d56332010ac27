/**
 * The defaults and limits of `spillway k8s render`'s options, apart from render-k8s.ts (which
 * re-exports them) so that the command line can show them without loading the renderer: it
 * reaches the scenario plans, the bundler and, through harness/run/run-input.ts, the whole mock
 * stack, some 340 modules every command would otherwise load at start-up (harness/cli/
 * commands.ts, startup-imports.test.ts).
 */

/**
 * Runner pods beyond this are more likely a typo than a plan: ten Premium v2 units at their
 * light-policy estimate (25,000 requests/s) need far fewer k6 runners than this.
 */
export const maxParallelism = 100;
/** k6's own image; the bundle targets the k6 version Spillway pins (harness/tools/tool-specs.ts). */
export const defaultK6Image = 'grafana/k6:2.2.0';
export const defaultKeySecret = 'spillway-subscription-keys';
export const defaultResultsClaim = 'spillway-results';
