// Runs in the browser: calls the platform through the gateway over grpc-web with clients generated
// by buf, and leaves the outcome in `window.__result` for run.mjs to read.
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { EchoService } from "../gen/estospaces/echo/v1/echo_pb";
import { IdentityService } from "../gen/estospaces/identity/v1/identity_service_pb";
import { Health } from "../gen/health_pb";

async function main() {
  const gateway = new URL(location.href).searchParams.get("gateway");
  if (!gateway) throw new Error("no ?gateway= in the page URL");
  const transport = createGrpcWebTransport({ baseUrl: gateway });

  const identity = createClient(IdentityService, transport);
  const email = `browser-${Date.now()}@example.com`;
  const password = "correct horse battery staple";
  const registered = await identity.registerUser({ email, password });
  const session = await identity.login({ email, password });
  const fetched = await identity.getUser(
    { name: registered.user?.name ?? "" },
    { headers: { authorization: `Bearer ${session.accessToken}` } },
  );
  let unauthenticatedCode = 0;
  try {
    await identity.getUser({ name: registered.user?.name ?? "" });
  } catch (err) {
    unauthenticatedCode = ConnectError.from(err).code;
  }

  const echo = createClient(EchoService, transport);
  const streamed: number[] = [];
  for await (const message of echo.watch({ name: "shelves/browser", count: 3 })) {
    streamed.push(message.count);
  }
  let streamErrorCode = 0;
  let beforeError = 0;
  try {
    for await (const _ of echo.watch({ name: "shelves/browser", count: 2, flag: true })) {
      beforeError += 1;
    }
  } catch (err) {
    streamErrorCode = ConnectError.from(err).code;
  }

  // The gateway answers health itself: over grpc-web too, not as plain gRPC.
  const health = createClient(Health, transport);
  const checked = await health.check({ service: "" });
  const healthCallSucceeded = typeof checked.status === "number";

  return {
    email,
    fetchedEmail: fetched.user?.email,
    unauthenticatedCode,
    streamed,
    beforeError,
    streamErrorCode,
    healthCallSucceeded,
  };
}

declare global {
  interface Window {
    __result?: unknown;
  }
}

main().then(
  (result) => {
    window.__result = { ok: true, ...result };
  },
  (err) => {
    window.__result = { ok: false, error: String(err) };
  },
);
