"""The README's tour, as a script: a guest and a host sign up, the host lists a flat, the guest
finds it and books it, and the booking saga confirms the stay.

    python examples/tour.py [gateway]

Against a running, seeded platform (``cargo run --release -p estospaces``, then ``... -- seed``):
the demo operator grants the new host their role.
"""

import datetime
import struct
import sys
import time
import uuid
import zlib

import estospaces_client
from estospaces.booking.v1 import booking_pb2, booking_service_pb2, booking_service_pb2_grpc
from estospaces.identity.v1 import identity_service_pb2 as identity, identity_service_pb2_grpc
from estospaces.media.v1 import media_pb2, media_service_pb2, media_service_pb2_grpc
from estospaces.property.v1 import property_pb2, property_service_pb2, property_service_pb2_grpc
from estospaces.search.v1 import search_service_pb2, search_service_pb2_grpc
from google.api import httpbody_pb2


def draw_photo(width, height):
    """A small PNG (sky over grass) made with zlib alone."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # each row starts with filter type 0
        for x in range(width):
            sky = y < height * 2 // 3
            rows += bytes([90 + (y >> 1), 160 + (y >> 2), 235] if sky else [70, 120 + (x >> 3) % 30, 60])

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows)))
            + chunk(b"IEND", b""))


gateway = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:50051"
run = uuid.uuid4().hex[:8]  # new accounts on every run
password = "a long enough password"

# 1. A guest signs up: RegisterUser, then Login for an access token.
public = estospaces_client.channel(gateway)
accounts = identity_service_pb2_grpc.IdentityServiceStub(public)
accounts.RegisterUser(identity.RegisterUserRequest(email=f"guest-{run}@example.com", password=password))
guest = accounts.Login(identity.LoginRequest(email=f"guest-{run}@example.com", password=password))
print(f"guest {guest.user} signed in over grpc")

# 2. A host signs up too. Listing places takes the host role, which an admin grants (here the
# seed's demo operator); tokens carry a new role from the next login.
host_user = accounts.RegisterUser(identity.RegisterUserRequest(email=f"host-{run}@example.com", password=password)).user
operator = accounts.Login(identity.LoginRequest(email="operator0@demo.estospaces.dev", password="estospaces-demo"))
operator_channel = estospaces_client.channel(gateway, token=operator.access_token)
identity_service_pb2_grpc.IdentityServiceStub(operator_channel).GrantRole(
    identity.GrantRoleRequest(name=host_user.name, role=identity.ROLE_HOST))
host = accounts.Login(identity.LoginRequest(email=f"host-{run}@example.com", password=password))
host_channel = estospaces_client.channel(gateway, token=host.access_token)
print(f"host {host.user} signed in with the host role")

# 3. The host uploads a photo (any PNG, JPEG or WebP; this one is drawn above) and waits for its
# variants.
media = media_service_pb2_grpc.MediaServiceStub(host_channel)
photo = media.UploadMediaBody(media_service_pb2.UploadMediaBodyRequest(
    filename="cover.png", visibility=media_pb2.VISIBILITY_PUBLIC,
    body=httpbody_pb2.HttpBody(content_type="image/png", data=draw_photo(320, 200)))).media
while photo.state == media_pb2.Media.STATE_PROCESSING:
    time.sleep(0.1)
    photo = media.GetMedia(media_service_pb2.GetMediaRequest(name=photo.name)).media
if photo.state != media_pb2.Media.STATE_READY:
    sys.exit(f"the photo was not accepted: {media_pb2.Media.State.Name(photo.state)}")

# 4. ... creates a listing (a draft) and publishes it. Prices are in minor units: 95.00 EUR.
properties = property_service_pb2_grpc.PropertyServiceStub(host_channel)
title = f"Tiled flat by the river {run}"
draft = properties.CreateProperty(property_service_pb2.CreatePropertyRequest(property=property_pb2.Property(
    kind=property_pb2.LISTING_KIND_SHORT_STAY,
    property_type=property_pb2.PROPERTY_TYPE_APARTMENT,
    title=title,
    description="Two rooms under a tiled roof, five minutes from the river.",
    address=property_pb2.Address(
        street="Rua da Madalena 1", locality="Lisbon", country_code="PT",
        location=property_pb2.GeoPoint(latitude=38.7105, longitude=-9.1365)),
    bedrooms=1,
    beds=2,
    max_guests=2,
    photos=[property_pb2.Photo(media_id=photo.name.removeprefix("media/"), cover=True)],
    cancellation_policy=property_pb2.CANCELLATION_POLICY_FLEXIBLE,
    booking_mode=property_pb2.BOOKING_MODE_INSTANT,
    currency_code="EUR",
    short_stay_pricing=property_pb2.ShortStayPricing(base_nightly_price=9500),
))).property
listing = properties.PublishProperty(property_service_pb2.PublishPropertyRequest(name=draft.name)).property
if listing.state == property_pb2.Property.STATE_PENDING_REVIEW:
    # Platforms that review new hosts' first listings: a moderator (the operator) approves it.
    listing = property_service_pb2_grpc.PropertyServiceStub(operator_channel).ApproveProperty(
        property_service_pb2.ApprovePropertyRequest(name=listing.name)).property
print(f"listing {listing.name} is {property_pb2.Property.State.Name(listing.state).removeprefix('STATE_')}")

# 5. The guest searches (public, no token): the index follows listings within moments.
def day(offset):
    date = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)
    return property_pb2.Date(year=date.year, month=date.month, day=date.day)


check_in, check_out = day(60), day(63)
search = search_service_pb2_grpc.SearchServiceStub(public)
found = None
for attempt in range(100):
    if attempt:
        time.sleep(0.2)
    page = search.SearchProperties(search_service_pb2.SearchPropertiesRequest(
        query=search_service_pb2.PropertyQuery(
            text=title, kind=property_pb2.LISTING_KIND_SHORT_STAY, guests=2,
            check_in=check_in, check_out=check_out),
        page_size=5))
    found = next((r for r in page.results if r.property.name == listing.name), None)
    if found:
        break
if not found:
    sys.exit(f"search did not find {listing.name}")
print(f'found "{found.property.title}": 3 nights for {found.stay_total} ({found.property.currency_code} minor units)')

# 6. ... and books it, paying with Stripe's test card (the sandbox provider is the default).
# The saga authorizes the payment and confirms the booking within moments.
bookings = booking_service_pb2_grpc.BookingServiceStub(estospaces_client.channel(gateway, token=guest.access_token))
booking = bookings.CreateBooking(booking_service_pb2.CreateBookingRequest(
    booking=booking_pb2.Booking(property=listing.name, check_in=check_in, check_out=check_out, guests=2),
    payment_method="4242424242424242")).booking
for _ in range(300):
    if booking.state != booking_pb2.Booking.STATE_PENDING_PAYMENT:
        break
    time.sleep(0.1)
    booking = bookings.GetBooking(booking_service_pb2.GetBookingRequest(name=booking.name)).booking
state = booking_pb2.Booking.State.Name(booking.state)
if booking.state != booking_pb2.Booking.STATE_CONFIRMED:
    sys.exit(f"booking {booking.name} ended {state}")
print(f"tour complete: booking {booking.name} {state.removeprefix('STATE_')}")
