// How deep a parsed JSON value nests, checked without recursion so that no depth can overflow the stack.

/** Where a value first nests deeper than allowed: the path to it and the depth reached there. */
export interface TooDeep {
  path: (string | number)[];
  depth: number;
}

/**
 * The first array or object nested deeper than `max` levels (the outermost one is level 1), or undefined.
 * `text`, the JSON the value was parsed from, lets a shallow document skip the walk: it cannot nest deeper
 * than it has brackets.
 */
export function findTooDeep(value: unknown, max: number, text?: string): TooDeep | undefined {
  if (text !== undefined && bracketCount(text, max) <= max) return undefined;
  // Each entry: a container, its depth, and the entry that holds it (for the path), walked depth-first.
  interface Node {
    value: object;
    depth: number;
    parent: Node | undefined;
    key: string | number;
  }
  const stack: Node[] = [];
  if (isContainer(value)) stack.push({ value, depth: 1, parent: undefined, key: "" });
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.depth > max) return { path: pathOf(node), depth: node.depth };
    const push = (key: string | number, child: unknown) => {
      if (isContainer(child)) stack.push({ value: child, depth: node.depth + 1, parent: node, key });
    };
    if (Array.isArray(node.value)) {
      for (let i = 0; i < node.value.length; i++) push(i, node.value[i]);
    } else {
      for (const key of Object.keys(node.value)) push(key, (node.value as Record<string, unknown>)[key]);
    }
  }
  return undefined;

  function pathOf(node: Node): (string | number)[] {
    const path: (string | number)[] = [];
    for (let n: Node | undefined = node; n?.parent; n = n.parent) path.push(n.key);
    return path.reverse();
  }
}

/** "payload.a.0.0…: JSON nested more than 64 levels deep", naming at most the first 8 path steps. */
export function describeTooDeep(where: string, found: TooDeep, max: number): string {
  const shown = found.path.slice(0, 8).map(String);
  const path = [where, ...shown].filter((p) => p.length > 0).join(".");
  const more = found.path.length > shown.length ? "…" : "";
  return `${path}${more}: JSON nested more than ${max} levels deep`;
}

function isContainer(v: unknown): v is object {
  return typeof v === "object" && v !== null;
}

/** Opening brackets in `text`, counting no further than `stopAbove` (strings are not excluded: an over-count only costs a walk). */
function bracketCount(text: string, stopAbove: number): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 91 || c === 123) && ++n > stopAbove) return n;
  }
  return n;
}
