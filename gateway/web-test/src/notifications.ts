// Runs in the browser for tests/tests/notifications.rs: the host's page follows their
// notifications over a grpc-web server stream while a guest books the host's listing; the page
// reports how long after the booking was made the host heard of its confirmation.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { BookingService } from "../gen/estospaces/booking/v1/booking_service_pb";
import { IdentityService } from "../gen/estospaces/identity/v1/identity_service_pb";
import { NotificationService } from "../gen/estospaces/notification/v1/notification_service_pb";

async function main() {
  const params = new URL(location.href).searchParams;
  const gateway = params.get("gateway") ?? "";
  const listing = params.get("listing") ?? "";
  const transport = createGrpcWebTransport({ baseUrl: gateway });
  const identity = createClient(IdentityService, transport);
  const notifications = createClient(NotificationService, transport);
  const bookings = createClient(BookingService, transport);
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  const host = await identity.login({
    email: params.get("hostEmail") ?? "",
    password: params.get("hostPassword") ?? "",
  });
  const guestEmail = `browser-guest-${Date.now()}@example.com`;
  const password = "correct horse battery staple";
  await identity.registerUser({ email: guestEmail, password });
  const guest = await identity.login({ email: guestEmail, password });
  console.log(`signed in: host ${host.user}, guest ${guest.user}`);

  // The host's page: the stream is open before anything happens.
  const abort = new AbortController();
  const stream = notifications.streamNotifications(
    { parent: host.user },
    { ...bearer(host.accessToken), signal: abort.signal },
  );
  const iterator = stream[Symbol.asyncIterator]();
  const first = iterator.next(); // starts the call
  await new Promise((resolve) => setTimeout(resolve, 300));

  // Four nights: demo listings ask for up to three.
  const created = await bookings.createBooking(
    {
      booking: {
        property: listing,
        checkIn: { year: 2027, month: 9, day: 7 },
        checkOut: { year: 2027, month: 9, day: 11 },
        guests: 1,
      },
      paymentMethod: "4242424242424242",
      requestId: crypto.randomUUID(),
    },
    bearer(guest.accessToken),
  );
  const bookedAt = performance.now();
  const booking = created.booking?.name ?? "";
  console.log(`booked ${booking}`);

  let next = first;
  for (;;) {
    const { value, done } = await next;
    if (done) throw new Error("the stream ended before the confirmation");
    const note = value.notification;
    console.log(`streamed ${note?.template} about ${note?.subject}`);
    if (note?.template === "booking_confirmed_host" && note.subject === booking) {
      const heardAfterMs = performance.now() - bookedAt;
      abort.abort();
      return { booking, template: note.template, title: note.title, heardAfterMs, unread: value.unreadCount };
    }
    next = iterator.next();
  }
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
