/**
 * Where a run's expectations come from, named for the question each answers:
 * - configuration-under-test: from the APIOps folder the gateway runs (`--config`): "does the
 *   gateway do what its configuration says?" A change to the configuration moves what is
 *   expected with it, so a shortened breaker trip is judged by its own, shorter rule.
 * - intended-configuration: from another APIOps folder (`--expectations-config`, typically the
 *   last approved one): "does this configuration still do what we intended?" The gateway runs
 *   `--config`, and is held to the other folder's rules.
 * - file: given explicitly (`--expectations`), for a gateway whose configuration Spillway
 *   cannot read, or to hold it to what was agreed.
 */
export type ExpectationsMode = 'configuration-under-test' | 'intended-configuration' | 'file';

export type ExpectationsSource =
  | { mode: 'configuration-under-test'; dir: string }
  | { mode: 'intended-configuration'; dir: string; gatewayConfigDir: string }
  | { mode: 'file'; file: string };

/** One line for the terminal and the journal: which question this run answers. */
export function describeExpectations(source: ExpectationsSource): string {
  switch (source.mode) {
    case 'configuration-under-test':
      return `expectations: configuration-under-test (from ${source.dir}, the configuration the gateway runs: does the gateway do what its configuration says?)`;
    case 'intended-configuration':
      return `expectations: intended-configuration (from ${source.dir}, while the gateway runs ${source.gatewayConfigDir}: does this configuration still do what was intended?)`;
    case 'file':
      return `expectations: file (${source.file}, given explicitly)`;
  }
}
