/**
 * Public entry of the APIM policy compiler: policy XML (documents and fragments) → a
 * validated, typed tree (policy-ast.ts) that the gateway runtime executes. See README.md.
 */
export { compilePolicyDocument } from './compile-document.ts';
export type { CompilePolicyOptions } from './compile-document.ts';
export { compileFragment, compileFragmentSet } from './compile-fragment.ts';
export type { CompileFragmentOptions, FragmentSetResult, FragmentSource } from './compile-fragment.ts';
export { formatProblem, PolicyCompileError } from './policy-errors.ts';
export type { PolicyProblem, PolicyProblemCode } from './policy-errors.ts';
export { ALLOWED_SECTIONS, UNSUPPORTED_ELEMENTS } from './element-catalog.ts';
export { DEFAULT_METRIC_DIMENSIONS, MAX_METRIC_DIMENSIONS } from './elements/metrics.ts';
export { childLists, walkPolicies } from './policy-walk.ts';
export type * from './policy-ast.ts';
