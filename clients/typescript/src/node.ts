// @estospaces/client/node: everything in `@estospaces/client`, plus native gRPC (HTTP/2) for
// Node servers and scripts.

import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { interceptorsFor, type TransportOptions } from "./index.js";

export * from "./index.js";

/**
 * Native gRPC to the gateway over HTTP/2 (cleartext for `http://`, TLS for `https://`); every
 * kind of call, client streams included.
 */
export function createNodeTransport(options: TransportOptions): Transport {
  return createGrpcTransport({ baseUrl: options.baseUrl, interceptors: interceptorsFor(options) });
}
