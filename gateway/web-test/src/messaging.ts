// Runs in the browser for tests/tests/messaging.rs: a guest's page and a host's page, each with
// its own grpc-web stream of conversation events. The guest types and sends a message; the
// host's page reports when the typing indicator and the message arrived, reads the message, and
// the guest's page reports the read receipt. Then the guest's connection drops, the host writes
// three messages, and the guest's page reconnects from its last cursor: it must see exactly
// those three, in order.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { IdentityService } from "../gen/estospaces/identity/v1/identity_service_pb";
import { MessagingService } from "../gen/estospaces/messaging/v1/messaging_service_pb";
import type { StreamConversationEventsResponse } from "../gen/estospaces/messaging/v1/messaging_service_pb";

type Events = AsyncIterator<StreamConversationEventsResponse>;

/// A page: its own transport, its user's token and its open stream.
class Page {
  readonly messaging;
  events: Events | undefined;
  abort = new AbortController();
  lastCursor = "";

  constructor(gateway: string, readonly user: string, readonly token: string) {
    this.messaging = createClient(MessagingService, createGrpcWebTransport({ baseUrl: gateway }));
  }

  get auth() {
    return { headers: { authorization: `Bearer ${this.token}` } };
  }

  open(afterCursor = "") {
    this.abort = new AbortController();
    this.events = this.messaging
      .streamConversationEvents({ parent: this.user, afterCursor }, { ...this.auth, signal: this.abort.signal })
      [Symbol.asyncIterator]();
  }

  close() {
    this.abort.abort();
    this.events = undefined;
  }

  /// The next event that `accept` takes, within `ms`.
  async next(accept: (e: StreamConversationEventsResponse) => boolean, ms = 5000) {
    const deadline = performance.now() + ms;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.user}: no matching event within ${ms} ms`);
      const result = await Promise.race([
        this.events!.next(),
        new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), left)),
      ]);
      if (result === "timeout") throw new Error(`${this.user}: no matching event within ${ms} ms`);
      if (result.done) throw new Error(`${this.user}: the stream ended`);
      if (result.value.cursor) this.lastCursor = result.value.cursor;
      if (accept(result.value)) return { event: result.value, at: performance.now() };
    }
  }
}

async function main() {
  const params = new URL(location.href).searchParams;
  const gateway = params.get("gateway") ?? "";
  const listing = params.get("listing") ?? "";
  const identity = createClient(IdentityService, createGrpcWebTransport({ baseUrl: gateway }));

  const hostSession = await identity.login({
    email: params.get("hostEmail") ?? "",
    password: params.get("hostPassword") ?? "",
  });
  const guestEmail = `browser-guest-${Date.now()}@example.com`;
  const password = "correct horse battery staple";
  await identity.registerUser({ email: guestEmail, password });
  const guestSession = await identity.login({ email: guestEmail, password });
  const host = new Page(gateway, hostSession.user, hostSession.accessToken);
  const guest = new Page(gateway, guestSession.user, guestSession.accessToken);

  // The guest asks first; both pages then follow their conversations live.
  const started = await guest.messaging.createInquiry(
    { listing, message: { text: "Hello! Is the flat free in May?", requestId: crypto.randomUUID() } },
    guest.auth,
  );
  const conversation = started.conversation?.name ?? "";
  host.open();
  guest.open();
  // Both streams are open before anything else happens: the first event each gets is live.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const typedAt = performance.now();
  await guest.messaging.sendTypingIndicator({ name: conversation }, guest.auth);
  const typing = await host.next((e) => e.event.case === "typingIndicator");
  const sentAt = performance.now();
  const sent = await guest.messaging.sendMessage(
    { parent: conversation, message: { text: "We arrive around ten at night", requestId: crypto.randomUUID() } },
    guest.auth,
  );
  const heard = await host.next((e) => e.event.case === "messageSent" && e.event.value.name === sent.message?.name);

  const readAt = performance.now();
  await host.messaging.markConversationRead({ name: conversation, lastReadMessage: sent.message?.name ?? "" }, host.auth);
  const receipt = await guest.next((e) => e.event.case === "readReceipt" && e.event.value.reader === host.user);

  // The guest's connection drops; the host writes on.
  const cursor = guest.lastCursor;
  guest.close();
  const missed = ["Late arrival is fine", "The key is in the lockbox", "Code 4821"];
  for (const text of missed) {
    await host.messaging.sendMessage({ parent: conversation, message: { text, requestId: crypto.randomUUID() } }, host.auth);
  }
  guest.open(cursor);
  const resumed: string[] = [];
  while (resumed.length < missed.length) {
    const { event } = await guest.next((e) => e.event.case === "messageSent");
    if (event.event.case === "messageSent") resumed.push(event.event.value.text);
  }
  // Nothing else is pending: no duplicate arrives after the three.
  let duplicate = "";
  try {
    const { event } = await guest.next((e) => e.event.case === "messageSent", 700);
    if (event.event.case === "messageSent") duplicate = event.event.value.text;
  } catch {
    // the quiet we expect
  }
  host.close();
  guest.close();
  return {
    conversation,
    typingMs: typing.at - typedAt,
    messageMs: heard.at - sentAt,
    receiptMs: receipt.at - readAt,
    unreadWhenHeard: heard.event.unreadCount,
    resumed,
    duplicate,
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
