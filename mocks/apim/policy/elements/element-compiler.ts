/**
 * The contract between the dispatcher (compile-nodes.ts) and the per-policy compilers in this
 * folder. Compilers receive a reader for their element and a way to compile nested policies,
 * so they never import the dispatcher (no import cycles) and stay one concern per file.
 */
import type { Placement } from '../compile-context.ts';
import type { ElementReader } from '../element-reader.ts';
import type { NodeBase, PolicyNode } from '../policy-ast.ts';
import type { XmlContent } from '../xml-tree.ts';

export interface CompileEnv {
  /** Compiles nested policy elements (choose branches, retry body, return-response children). */
  compileChildren(content: readonly XmlContent[], placement: Placement): PolicyNode[];
}

/**
 * Compiles one element. Returns null when the element is too broken to represent (its
 * problems are already reported). The dispatcher calls `reader.finish()` afterwards.
 */
export type ElementCompiler = (reader: ElementReader, placement: Placement, env: CompileEnv) => PolicyNode | null;

/** The fields every node carries: position, `id` attribute, owning fragment. */
export function nodeBase(reader: ElementReader): NodeBase {
  const policyId = reader.policyId();
  const fragmentId = reader.ctx.fragmentId;
  return {
    at: reader.at,
    ...(policyId === undefined ? {} : { policyId }),
    ...(fragmentId === undefined ? {} : { fragmentId }),
  };
}
