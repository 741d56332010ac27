/**
 * An error whose message is written for the person at the terminal: what went wrong, which
 * file, line, field or flag, and what to do. The CLI prints such a message as it is, without a
 * stack trace (harness/cli/cli.ts); any other error is a harness bug and keeps its stack.
 *
 * Every error meant for a person extends this class, in the mocks as in the harness (which is
 * why it lives with the contracts, which every part may import), and the CLI recognises them
 * with instanceof. Each subclass keeps its own name (`ConfigError`,
 * `TopologyError`, ...), so a stack trace or a test still says which one it was.
 */
export class UserFacingError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
