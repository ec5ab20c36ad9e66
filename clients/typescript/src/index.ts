// @estospaces/client: the EstoSpaces APIs for browsers and Node.
//
// The messages and service descriptors are generated from proto/ (src/gen, one module per
// .proto: `@estospaces/client/gen/estospaces/<domain>/v1/<file>_pb`); calls go through
// @connectrpc/connect's `createClient`. This module adds only what every app writes otherwise:
// a transport to the gateway that sends the caller's access token. It is browser-safe;
// `@estospaces/client/node` adds native gRPC over HTTP/2 for Node.

import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

export { createClient, Code, ConnectError } from "@connectrpc/connect";
export type { Client, Interceptor, Transport } from "@connectrpc/connect";

/** An access token, or a function returning the current one (after a refresh, say). */
export type TokenSource = string | (() => string | undefined);

/** Where the gateway is and who is calling. */
export interface TransportOptions {
  /** The gateway's address, such as `http://127.0.0.1:50051`. */
  baseUrl: string;
  /** `LoginResponse.accessToken`; omit for public methods (RegisterUser, Login, search, ...). */
  token?: TokenSource;
  /** More interceptors, run after the token's. */
  interceptors?: Interceptor[];
}

/** Sends `authorization: Bearer <token>` with every call (nothing while the token is empty). */
export function bearerToken(token: TokenSource): Interceptor {
  return (next) => async (request) => {
    const current = typeof token === "function" ? token() : token;
    if (current) {
      request.header.set("authorization", `Bearer ${current}`);
    }
    return next(request);
  };
}

/** The interceptors a transport gets from `options`. */
export function interceptorsFor(options: TransportOptions): Interceptor[] {
  return [...(options.token === undefined ? [] : [bearerToken(options.token)]), ...(options.interceptors ?? [])];
}

/**
 * grpc-web to the gateway over `fetch`: what browsers use, and it works in Node 18+ too. Server
 * streams work; client and bidirectional streams need `createNodeTransport` (native gRPC).
 */
export function createWebTransport(options: TransportOptions): Transport {
  return createGrpcWebTransport({ baseUrl: options.baseUrl, interceptors: interceptorsFor(options) });
}
