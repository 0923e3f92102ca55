// Prints markdown tables for the protocol's zod schemas, and keeps the generated section of docs/protocol.md in sync.
//   bun scripts/protocol-doc.ts          print the generated section
//   bun scripts/protocol-doc.ts --write  rewrite the section in docs/protocol.md
//   bun scripts/protocol-doc.ts --check  exit 1 when docs/protocol.md is stale
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as bus from "../src/protocol/bus.ts";
import * as entities from "../src/protocol/entities.ts";
import * as errors from "../src/protocol/errors.ts";
import * as http from "../src/protocol/http.ts";
import * as leases from "../src/protocol/leases.ts";
import * as matching from "../src/protocol/matching.ts";
import * as tasks from "../src/protocol/tasks.ts";

export const BEGIN = "<!-- generated:begin -->";
export const END = "<!-- generated:end -->";

const ROOT = join(import.meta.dir, "..");
export const DOC_PATH = join(ROOT, "docs/protocol.md");

/** The parts of a zod v4 schema this script reads; zod's own types are too deep to walk generically. */
export interface Zod {
  _zod: { def: Def };
  description?: string;
  shape?: Record<string, Zod>;
}
interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  innerType?: Zod;
  element?: Zod;
  options?: Zod[];
  shape?: Record<string, Zod>;
  entries?: Record<string, string>;
  values?: unknown[];
  defaultValue?: unknown;
  coerce?: boolean;
}
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}

interface Section {
  title: string;
  file: string;
  module: Record<string, unknown>;
}

// Modules in the order the doc presents them; within a module, schemas keep their source order.
const SECTIONS: Section[] = [
  { title: "Named types", file: "entities.ts", module: entities },
  { title: "Addressing", file: "matching.ts", module: matching },
  { title: "Entities", file: "entities.ts", module: entities },
  { title: "HTTP requests and answers", file: "http.ts", module: http },
  { title: "Tasks", file: "tasks.ts", module: tasks },
  { title: "Leases", file: "leases.ts", module: leases },
  { title: "Bus frames", file: "bus.ts", module: bus },
  { title: "Errors", file: "errors.ts", module: errors },
];

const isZod = (v: unknown): v is Zod => typeof v === "object" && v !== null && "_zod" in v;

/** JSDoc found in a protocol source file: per export, its own comment and its fields' comments. */
export interface SourceDocs {
  order: string[];
  own: Map<string, string>;
  fields: Map<string, Map<string, string>>;
}

export function readSourceDocs(file: string, dir = "src/protocol"): SourceDocs {
  const lines = readFileSync(join(ROOT, dir, file), "utf8").split("\n");
  const docs: SourceDocs = { order: [], own: new Map(), fields: new Map() };
  let pending: string | undefined;
  let current: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith("/**")) {
      const parts = [line];
      while (!lines[i]!.includes("*/") && i + 1 < lines.length) parts.push(lines[++i]!.trim());
      pending = parts
        .join(" ")
        .replace(/^\/\*\*|\*\/$/g, "")
        .replace(/\s\*\s/g, " ")
        .replace(/\s+/g, " ")
        .trim();
      continue;
    }
    const exported = /^export const (\w+)\b/.exec(line);
    const field = /^(\w+)\s*:/.exec(line);
    if (exported) {
      current = exported[1]!;
      docs.order.push(current);
      if (pending) docs.own.set(current, pending);
    } else if (field && current && pending) {
      const map = docs.fields.get(current) ?? new Map<string, string>();
      map.set(field[1]!, pending);
      docs.fields.set(current, map);
    }
    pending = undefined;
  }
  return docs;
}

/** Every exported schema object gets one name: the first export that holds it, in section order. */
function nameIndex(): Map<Zod, string> {
  const names = new Map<Zod, string>();
  for (const s of SECTIONS) {
    for (const name of readSourceDocs(s.file).order) {
      const v = s.module[name];
      if (isZod(v) && !names.has(v)) names.set(v, name);
    }
  }
  return names;
}

const fmtNumber = (n: number): string => (Math.abs(n) >= 10_000 ? n.toLocaleString("en-US") : String(n));

function constraints(z: Zod, unit: string): string[] {
  let min: string | undefined;
  let max: string | undefined;
  const other: string[] = [];
  for (const c of z._zod.def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === "min_length") min = fmtNumber(d.minimum!);
    else if (d.check === "max_length") max = fmtNumber(d.maximum!);
    else if (d.check === "greater_than" && d.inclusive) min = fmtNumber(d.value!);
    else if (d.check === "greater_than") other.push(`> ${fmtNumber(d.value!)}`);
    else if (d.check === "less_than" && d.inclusive) max = fmtNumber(d.value!);
    else if (d.check === "less_than") other.push(`< ${fmtNumber(d.value!)}`);
    else if (d.check === "string_format" && d.pattern) other.push(`matches \`${d.pattern.source}\``);
  }
  const suffix = unit ? ` ${unit}` : "";
  if (min !== undefined && max !== undefined) other.unshift(`${min}–${max}${suffix}`);
  else if (min !== undefined) other.unshift(`≥ ${min}${suffix}`);
  else if (max !== undefined) other.unshift(`≤ ${max}${suffix}`);
  return other;
}

/** A field's type in TypeScript-like notation; named schemas appear by name. */
export function typeOf(z: Zod, names: Map<Zod, string>, self?: Zod): string {
  const named = names.get(z);
  if (named && z !== self) return named;
  const d = z._zod.def;
  switch (d.type) {
    case "optional":
    case "default":
    case "nullable":
      return typeOf(d.innerType!, names);
    case "number": {
      const int = (d.checks ?? []).some((c) => c._zod.def.format === "safeint");
      return int ? "integer" : "number";
    }
    case "literal":
      return d.values!.map((v) => JSON.stringify(v)).join(" \\| ");
    case "enum":
      return Object.values(d.entries!)
        .map((v) => JSON.stringify(v))
        .join(" \\| ");
    case "array": {
      const inner = typeOf(d.element!, names);
      return inner.includes("|") ? `(${inner})[]` : `${inner}[]`;
    }
    case "union":
      return d.options!.map((o) => typeOf(o, names)).join(" \\| ");
    case "record":
      return "object";
    case "object":
      return `{ ${Object.entries(d.shape!)
        .map(([k, v]) => `${k}${presence(v) === "required" ? "" : "?"}: ${typeOf(v, names)}`)
        .join(", ")} }`;
    default:
      return d.type;
  }
}

/** Constraints of a field, looking through optional/default wrappers and into array elements. */
export function rules(z: Zod, names: Map<Zod, string>, self?: Zod): string {
  let s = z;
  while (["optional", "default", "nullable"].includes(s._zod.def.type)) s = s._zod.def.innerType!;
  if (names.has(s) && s !== self) return "";
  const d = s._zod.def;
  const out: string[] = [];
  if (d.coerce) out.push("parsed from text");
  if (d.type === "array") {
    out.push(...constraints(s, "items"));
    const el = d.element!;
    if (!names.has(el)) out.push(...constraints(el, unitOf(el)).map((c) => `each ${c}`));
  } else {
    out.push(...constraints(s, unitOf(s)));
  }
  return out.map((c) => c.trim()).join(", ");
}

const unitOf = (z: Zod): string => (z._zod.def.type === "string" ? "chars" : "");

export function presence(z: Zod): string {
  const d = z._zod.def;
  if (d.type === "default") return `default \`${JSON.stringify(d.defaultValue)}\``;
  if (d.type === "optional") return "optional";
  return "required";
}

export function description(z: Zod, fromSource: string | undefined): string {
  let s: Zod | undefined = z;
  while (s) {
    if (s.description) return s.description;
    s = s._zod.def.innerType;
  }
  return fromSource ?? "";
}

export const cell = (text: string): string =>
  text.replace(/\|/g, (m, i, all) => (all[i - 1] === "\\" ? m : "\\|"));

function objectTable(name: string, z: Zod, docs: SourceDocs, names: Map<Zod, string>): string {
  const own = docs.own.get(name);
  const rows = Object.entries(z.shape!).map(([field, f]) => {
    const desc = description(f, docs.fields.get(name)?.get(field));
    return `| \`${field}\` | ${typeOf(f, names)} | ${presence(f)} | ${cell(rules(f, names))} | ${cell(desc)} |`;
  });
  return [
    `#### ${name}`,
    ...(own ? ["", own] : []),
    "",
    "| field | type | presence | rules | meaning |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

function namedTypesTable(docs: SourceDocs[], modules: Record<string, unknown>[], names: Map<Zod, string>) {
  const rows: string[] = [];
  for (const [i, d] of docs.entries()) {
    for (const name of d.order) {
      const v = modules[i]![name];
      if (!isZod(v) || v._zod.def.type === "object" || names.get(v) !== name) continue;
      rows.push(
        `| \`${name}\` | ${typeOf(v, names, v)} | ${cell(rules(v, names, v))} | ${cell(d.own.get(name) ?? "")} |`,
      );
    }
  }
  return ["| name | type | rules | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** The whole generated section, without the markers. */
export function renderGenerated(): string {
  const names = nameIndex();
  const parts: string[] = [
    "_Generated by `bun scripts/protocol-doc.ts --write` from `src/protocol/*.ts`; do not edit by hand._",
  ];
  const scalarDocs = [readSourceDocs("entities.ts"), readSourceDocs("matching.ts")];
  parts.push("### Named types", namedTypesTable(scalarDocs, [entities, matching], names));
  for (const s of SECTIONS.slice(2)) {
    const docs = readSourceDocs(s.file);
    const tables: string[] = [];
    for (const name of docs.order) {
      const v = s.module[name];
      if (!isZod(v) || v._zod.def.type !== "object" || names.get(v) !== name) continue;
      tables.push(objectTable(name, v, docs, names));
    }
    parts.push(`### ${s.title}`, ...tables);
  }
  return `${parts.join("\n\n")}\n`;
}

/** The text between the markers, or undefined when the markers are missing. */
export function extractGenerated(doc: string): string | undefined {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) return undefined;
  return doc.slice(a + BEGIN.length, b).replace(/^\n/, "");
}

export function replaceGenerated(doc: string, generated: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`the doc has no ${BEGIN} … ${END} section`);
  return `${doc.slice(0, a + BEGIN.length)}\n${generated}${doc.slice(b)}`;
}

if (import.meta.main) {
  const generated = renderGenerated();
  const arg = process.argv[2];
  if (arg === "--write") {
    writeFileSync(DOC_PATH, replaceGenerated(readFileSync(DOC_PATH, "utf8"), generated));
  } else if (arg === "--check") {
    if (extractGenerated(readFileSync(DOC_PATH, "utf8")) !== generated) {
      console.error("docs/protocol.md is stale: run bun scripts/protocol-doc.ts --write");
      process.exit(1);
    }
  } else {
    process.stdout.write(generated);
  }
}
