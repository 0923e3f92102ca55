// The typed relay client: HTTP (RelayHttpClient) and bus (RelayBusClient), with their errors.
export * from "./bus-client.ts";
export * from "./errors.ts";
export * from "./http-client.ts";
export * from "./reconnect-policy.ts";
export * from "./relay-route.ts";
export type { HttpTransport, TransportRequest, TransportResponse } from "./transport.ts";
