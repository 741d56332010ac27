/**
 * An error whose message is written for the person at the terminal (what went wrong, which
 * file or field, what to do). The CLI prints it without a stack trace.
 */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
}
