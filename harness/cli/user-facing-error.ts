/** The one base class of errors written for a person; it lives with the mocks, which use it too. */
export { UserFacingError } from '../contracts/user-facing-error.ts';
