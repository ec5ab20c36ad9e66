// The README's tour, as a script: a guest and a host sign up, the host lists a flat, the guest
// finds it and books it, and the booking saga confirms the stay.
//
//   node dist/examples/tour.js [gateway] [grpc|grpc-web]
//
// Against a running, seeded platform (`cargo run --release -p estospaces`, then `... -- seed`):
// the demo operator grants the new host their role.
import { deflateSync, crc32 } from "node:zlib";
import { randomUUID } from "node:crypto";

import { createClient } from "@estospaces/client";
import { createNodeTransport, createWebTransport } from "@estospaces/client/node";
import { IdentityService, Role } from "@estospaces/client/gen/estospaces/identity/v1/identity_service_pb";
import { MediaService } from "@estospaces/client/gen/estospaces/media/v1/media_service_pb";
import { Media_State, Visibility } from "@estospaces/client/gen/estospaces/media/v1/media_pb";
import { PropertyService } from "@estospaces/client/gen/estospaces/property/v1/property_service_pb";
import {
  BookingMode,
  CancellationPolicy,
  ListingKind,
  Property_State,
  PropertyType,
} from "@estospaces/client/gen/estospaces/property/v1/property_pb";
import { SearchService } from "@estospaces/client/gen/estospaces/search/v1/search_service_pb";
import { BookingService } from "@estospaces/client/gen/estospaces/booking/v1/booking_service_pb";
import { Booking_State } from "@estospaces/client/gen/estospaces/booking/v1/booking_pb";

const [baseUrl = "http://127.0.0.1:50051", protocol = "grpc"] = process.argv.slice(2);
// Native gRPC (HTTP/2) in Node; grpc-web is what a browser uses, and works from Node as well.
const transport = (token?: string) =>
  protocol === "grpc-web" ? createWebTransport({ baseUrl, token }) : createNodeTransport({ baseUrl, token });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const run = randomUUID().slice(0, 8); // new accounts on every run
const password = "a long enough password";

// 1. A guest signs up: RegisterUser, then Login for an access token.
const identity = createClient(IdentityService, transport());
await identity.registerUser({ email: `guest-${run}@example.com`, password });
const guest = await identity.login({ email: `guest-${run}@example.com`, password });
console.log(`guest ${guest.user} signed in over ${protocol}`);

// 2. A host signs up too. Listing places takes the host role, which an admin grants (here the
// seed's demo operator); tokens carry a new role from the next login.
const { user: hostUser } = await identity.registerUser({ email: `host-${run}@example.com`, password });
const operator = await identity.login({ email: "operator0@demo.estospaces.dev", password: "estospaces-demo" });
await createClient(IdentityService, transport(operator.accessToken)).grantRole({ name: hostUser!.name, role: Role.HOST });
const host = await identity.login({ email: `host-${run}@example.com`, password });
console.log(`host ${host.user} signed in with the host role`);

// 3. The host uploads a photo (any PNG, JPEG or WebP; this one is drawn below) and waits for
// its variants.
const media = createClient(MediaService, transport(host.accessToken));
let { media: photo } = await media.uploadMediaBody({
  filename: "cover.png",
  visibility: Visibility.PUBLIC,
  body: { contentType: "image/png", data: drawPhoto(320, 200) },
});
while (photo!.state === Media_State.PROCESSING) {
  await sleep(100);
  ({ media: photo } = await media.getMedia({ name: photo!.name }));
}
if (photo!.state !== Media_State.READY) throw new Error(`the photo was not accepted: ${photo!.state}`);

// 4. ... creates a listing (a draft) and publishes it. Prices are in minor units: 95.00 EUR.
const properties = createClient(PropertyService, transport(host.accessToken));
const title = `Tiled flat by the river ${run}`;
const { property: draft } = await properties.createProperty({
  property: {
    kind: ListingKind.SHORT_STAY,
    propertyType: PropertyType.APARTMENT,
    title,
    description: "Two rooms under a tiled roof, five minutes from the river.",
    address: {
      street: "Rua da Madalena 1",
      locality: "Lisbon",
      countryCode: "PT",
      location: { latitude: 38.7105, longitude: -9.1365 },
    },
    bedrooms: 1,
    beds: 2,
    maxGuests: 2,
    photos: [{ mediaId: photo!.name.replace(/^media\//, ""), cover: true }],
    cancellationPolicy: CancellationPolicy.FLEXIBLE,
    bookingMode: BookingMode.INSTANT,
    currencyCode: "EUR",
    shortStayPricing: { baseNightlyPrice: 9500n },
  },
});
let { property: listing } = await properties.publishProperty({ name: draft!.name });
if (listing!.state === Property_State.PENDING_REVIEW) {
  // Platforms that review new hosts' first listings: a moderator (the operator) approves it.
  ({ property: listing } = await createClient(PropertyService, transport(operator.accessToken)).approveProperty({
    name: listing!.name,
  }));
}
console.log(`listing ${listing!.name} is ${Property_State[listing!.state]}`);

// 5. The guest searches (public, no token): the index follows listings within moments.
const day = (offset: number) => {
  const date = new Date(Date.now() + offset * 86_400_000);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
};
const [checkIn, checkOut] = [day(60), day(63)];
const search = createClient(SearchService, transport());
let found;
for (let attempt = 0; attempt < 100 && !found; attempt++) {
  if (attempt > 0) await sleep(200);
  const { results } = await search.searchProperties({
    query: { text: title, kind: ListingKind.SHORT_STAY, guests: 2, checkIn, checkOut },
    pageSize: 5,
  });
  found = results.find((result) => result.property?.name === listing!.name);
}
if (!found) throw new Error(`search did not find ${listing!.name}`);
console.log(`found "${found.property!.title}": 3 nights for ${found.stayTotal} (${found.property!.currencyCode} minor units)`);

// 6. ... and books it, paying with Stripe's test card (the sandbox provider is the default).
// The saga authorizes the payment and confirms the booking within moments.
const bookings = createClient(BookingService, transport(guest.accessToken));
let { booking } = await bookings.createBooking({
  booking: { property: listing!.name, checkIn, checkOut, guests: 2 },
  paymentMethod: "4242424242424242",
});
for (let attempt = 0; attempt < 300 && booking!.state !== Booking_State.CONFIRMED; attempt++) {
  if (booking!.state !== Booking_State.PENDING_PAYMENT) {
    throw new Error(`booking ${booking!.name} ended ${Booking_State[booking!.state]}`);
  }
  await sleep(100);
  ({ booking } = await bookings.getBooking({ name: booking!.name }));
}
if (booking!.state !== Booking_State.CONFIRMED) throw new Error(`booking ${booking!.name} was not confirmed`);
console.log(`tour complete: booking ${booking!.name} ${Booking_State[booking!.state]}`);

/** A small PNG (sky over grass) made with node:zlib alone. */
function drawPhoto(width: number, height: number): Uint8Array {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // each row starts with filter type 0
    for (let x = 0; x < width; x++) {
      const sky = y < (height * 2) / 3;
      rows.set(sky ? [90 + (y >> 1), 160 + (y >> 2), 235] : [70, 120 + ((x >> 3) % 30), 60], row + 1 + x * 3);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
