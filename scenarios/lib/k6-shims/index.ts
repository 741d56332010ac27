/**
 * Stand-ins for k6's modules in unit tests (see ../k6-imports.ts): the same exports, backed by
 * in-memory recorders the tests inspect. Never bundled: only *.test.ts files import them.
 */
export { check } from './k6-check.ts';
export { http } from './k6-http.ts';
export { execution } from './k6-execution.ts';
export { Counter, Rate, Trend } from './k6-metrics.ts';
