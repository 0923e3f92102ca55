// HTTP handlers for attachments: raw-byte upload under a size cap, and download with the stored content type.
import { nanoid } from "nanoid";
import { AttachmentQuery, MimeType } from "../../protocol/index.ts";
import { actingAgent } from "../auth/authenticate.ts";
import { parseWith, queryOf, readBytes } from "./body.ts";
import type { Handler } from "./context.ts";
import { forbidden, invalid, notFound } from "./errors.ts";
import { assertAttachmentQuota, chargeCreate } from "./quota.ts";
import { mayReadAttachment } from "./visibility.ts";

/** Names are stored as given; whoever writes the file to disk (the runner) sanitises it. */
export const uploadAttachment: Handler = async (req, call) => {
  chargeCreate(call);
  const { relay, principal } = call;
  const q = parseWith(AttachmentQuery, queryOf(req), "query");
  // Checked on the declared length before reading, and on the real one before storing.
  assertAttachmentQuota(call, Number(req.headers.get("content-length") ?? 0) || 0);
  const data = await readBytes(req, relay.limits.attachmentBytes);
  assertAttachmentQuota(call, data.byteLength);
  const ref = relay.store.attachments.create(
    { id: nanoid(), name: q.name, mimeType: q.mimeType, size: data.byteLength },
    data,
    actingAgent(principal),
    relay.clock.now(),
  );
  return Response.json(ref);
};

/** Root downloads anything; a runtime token what its agent uploaded or what a message it may read references. */
export const downloadAttachment: Handler = (req, { relay, principal }) => {
  const id = (req.params as Record<string, string>).id ?? "";
  if (id.length === 0 || id.length > 64) throw invalid("attachment id must be 1-64 characters");
  if (!relay.store.attachments.get(id)) throw notFound(`attachment '${id}'`);
  if (!mayReadAttachment(relay, principal, id))
    throw forbidden(`this token's agent may not read attachment '${id}'`);
  const found = relay.store.attachments.content(id);
  if (!found) throw notFound(`attachment '${id}'`);
  // A type stored before uploads were checked may not be a valid header value: serve the bytes anyway.
  const contentType = MimeType.safeParse(found.mimeType).success
    ? found.mimeType
    : "application/octet-stream";
  return new Response(found.data, {
    headers: { "content-type": contentType, "x-attachment-name": encodeURIComponent(found.name) },
  });
};
