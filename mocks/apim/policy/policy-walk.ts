/**
 * Generic traversal of compiled policy trees: which nodes nest other policies. Used for
 * fragment placement checks and fragment tagging here, and by the runtime for anything that
 * has to look at every policy (e.g. "does this document forward the request at all?").
 */
import type { PolicyNode } from './policy-ast.ts';

/** The nested policy lists of a node (empty for leaf policies). */
export function childLists(node: PolicyNode): (readonly PolicyNode[])[] {
  switch (node.kind) {
    case 'choose':
      return [...node.when.map((w) => w.policies), ...(node.otherwise ? [node.otherwise] : [])];
    case 'retry':
    case 'return-response':
      return [node.policies];
    default:
      return [];
  }
}

/**
 * Visits every node depth-first, parents first. `descend` returning false skips a node's
 * children (placement checks skip return-response, whose children are not section policies).
 */
export function walkPolicies(nodes: readonly PolicyNode[], visit: (node: PolicyNode) => boolean | void): void {
  for (const node of nodes) {
    if (visit(node) === false) continue;
    for (const list of childLists(node)) walkPolicies(list, visit);
  }
}

/** A copy of the tree with `fragmentId` set on every node that does not have one yet. */
export function tagFragment(nodes: readonly PolicyNode[], fragmentId: string): PolicyNode[] {
  return nodes.map((node) => tagNode(node, fragmentId));
}

function tagNode(node: PolicyNode, fragmentId: string): PolicyNode {
  const id = node.fragmentId ?? fragmentId;
  switch (node.kind) {
    case 'choose':
      return {
        ...node,
        fragmentId: id,
        when: node.when.map((w) => ({ ...w, policies: tagFragment(w.policies, fragmentId) })),
        otherwise: node.otherwise ? tagFragment(node.otherwise, fragmentId) : null,
      };
    case 'retry':
      return { ...node, fragmentId: id, policies: tagFragment(node.policies, fragmentId) };
    case 'return-response':
      return { ...node, fragmentId: id, policies: node.policies.map((p) => ({ ...p, fragmentId: p.fragmentId ?? fragmentId })) };
    default:
      return { ...node, fragmentId: id };
  }
}
