// HTTP handlers for attachments: raw-byte upload under a size cap, and download with the stored content type.
import { nanoid } from "nanoid";
import { AttachmentQuery, MimeType } from "../../protocol/index.ts";
import { actingAgent } from "../auth/authenticate.ts";
import { OpaqueIdPath, parsePath, parseQuery, readBytes } from "./body.ts";
import type { Handler } from "./context.ts";
import { forbidden, notFound } from "./errors.ts";
import { assertAttachmentQuota, chargeCreate } from "./quota.ts";
import { mayReadAttachment } from "./visibility.ts";

/** Names are stored as given; whoever writes the file to disk (the runner) sanitises it. */
export const uploadAttachment: Handler = async (req, call) => {
  chargeCreate(call);
  const { relay, principal } = call;
  const q = parseQuery(req, AttachmentQuery);
  // Checked on the declared length before reading, and on the real one before storing.
  await assertAttachmentQuota(call, Number(req.headers.get("content-length") ?? 0) || 0);
  const data = await readBytes(req, relay.limits.attachmentBytes);
  await assertAttachmentQuota(call, data.byteLength);
  const ref = await relay.store.attachments.create(
    { id: nanoid(), name: q.name, mimeType: q.mimeType, size: data.byteLength },
    data,
    actingAgent(principal),
    relay.clock.now(),
  );
  return Response.json(ref);
};

/** Root downloads anything; a runtime token what its agent uploaded or what a message it may read references. */
export const downloadAttachment: Handler = async (req, { relay, principal }) => {
  const { id } = parsePath(req, OpaqueIdPath);
  if (!(await relay.store.attachments.get(id))) throw notFound(`attachment '${id}'`);
  if (!(await mayReadAttachment(relay, principal, id)))
    throw forbidden(`this token's agent may not read attachment '${id}'`);
  const found = await relay.store.attachments.content(id);
  if (!found) throw notFound(`attachment '${id}'`);
  // A type stored before uploads were checked may not be a valid header value: serve the bytes anyway.
  const contentType = MimeType.safeParse(found.mimeType).success
    ? found.mimeType
    : "application/octet-stream";
  return new Response(found.data, {
    headers: { "content-type": contentType, "x-attachment-name": encodeURIComponent(found.name) },
  });
};
