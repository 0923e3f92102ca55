// The relay's lease endpoints as typed calls (POST/GET /v1/leases, POST /v1/leases/:id/renew, DELETE /v1/leases/:id).
import {
  type AcquireLeaseRequest,
  type Lease,
  LeaseAnswer,
  LeasesAnswer,
  OkAnswer,
} from "../protocol/index.ts";
import type { CallOptions, RelayHttpClient } from "../relay-client/index.ts";

export class LeaseClient {
  constructor(private readonly http: Pick<RelayHttpClient, "call">) {}

  /** Take a key (409 conflict naming the holder when another has it). */
  async acquire(req: AcquireLeaseRequest, o?: CallOptions): Promise<Lease> {
    return (await this.http.call("POST", "/v1/leases", LeaseAnswer, req, o)).lease;
  }

  async renew(id: string, instanceId: string, o?: CallOptions): Promise<Lease> {
    const path = `/v1/leases/${encodeURIComponent(id)}/renew`;
    return (await this.http.call("POST", path, LeaseAnswer, { instanceId }, o)).lease;
  }

  /** With `instanceId`, only while that instance still holds it (a late stop never frees a successor's lease). */
  async release(id: string, instanceId?: string, o?: CallOptions): Promise<void> {
    const q = instanceId === undefined ? "" : `?instanceId=${encodeURIComponent(instanceId)}`;
    await this.http.call("DELETE", `/v1/leases/${encodeURIComponent(id)}${q}`, OkAnswer, undefined, o);
  }

  async list(o?: CallOptions): Promise<Lease[]> {
    return (await this.http.call("GET", "/v1/leases", LeasesAnswer, undefined, o)).leases;
  }
}
