// How deep a parsed JSON value nests, checked without recursion so that no depth can overflow the stack.

/** Where a value first nests deeper than allowed: the path to it and the depth reached there. */
export interface TooDeep {
  path: (string | number)[];
  depth: number;
}

/**
 * The first array or object nested deeper than `max` levels (the outermost one is level 1), or undefined.
 * Walks depth-first with its own stack of at most `max` entries, so neither depth nor breadth costs more than
 * that. `text`, the JSON the value was parsed from, lets a shallow document skip the walk: it cannot nest
 * deeper than it has brackets.
 */
export function findTooDeep(value: unknown, max: number, text?: string): TooDeep | undefined {
  if (text !== undefined && bracketCount(text, max) <= max) return undefined;
  if (!isContainer(value)) return undefined;
  // One entry per open container: where it sits in its parent, its children, and the next one to look at.
  interface Level {
    key: string | number;
    node: object;
    keys: string[] | undefined;
    next: number;
  }
  const level = (key: string | number, node: object): Level => ({
    key,
    node,
    keys: Array.isArray(node) ? undefined : Object.keys(node),
    next: 0,
  });
  const stack: Level[] = [level("", value)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const size = top.keys ? top.keys.length : (top.node as unknown[]).length;
    if (top.next >= size) {
      stack.pop();
      continue;
    }
    const key = top.keys ? top.keys[top.next]! : top.next;
    top.next++;
    const child = (top.node as Record<string | number, unknown>)[key];
    if (!isContainer(child)) continue;
    if (stack.length >= max) {
      return { path: [...stack.slice(1).map((l) => l.key), key], depth: stack.length + 1 };
    }
    stack.push(level(key, child));
  }
  return undefined;
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
