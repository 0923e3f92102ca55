// Zod schemas for CLI option and argument strings: they parse text and say what a valid value looks like.
import { z } from "zod";
import { Meta } from "../protocol/index.ts";

/** A decimal id like "42" (messages and tasks). */
export const IdArg = z
  .string()
  .regex(/^[1-9][0-9]{0,14}$/, "must be a positive integer")
  .transform(Number);

export const LimitArg = z
  .string()
  .regex(/^[0-9]+$/, "must be an integer")
  .transform(Number)
  .pipe(z.number().int().min(1, "must be 1-1000").max(1000, "must be 1-1000"));

/** A JSON object given on the command line, e.g. '{"content":"…"}'. */
export const JsonObjectArg = z.string().transform((text, ctx) => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be JSON" });
    return z.NEVER;
  }
  const r = Meta.safeParse(value);
  if (!r.success || Array.isArray(value)) {
    ctx.addIssue({ code: "custom", message: "must be a JSON object" });
    return z.NEVER;
  }
  return r.data;
});

export const DurationMsArg = z
  .string()
  .regex(/^[0-9]+$/, "must be a number of milliseconds")
  .transform(Number)
  .pipe(z.number().int().min(1, "must be at least 1 ms"));
