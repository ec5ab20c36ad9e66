//! Request ids for calls that arrive without one: random (version 4) UUIDs, drawn from a fast
//! per-thread generator instead of one `getrandom` system call per request.

use http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

/// Makes a fresh random UUID per request.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeRandomRequestId;

impl MakeRequestId for MakeRandomRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        Some(RequestId::new(random_uuid()))
    }
}

/// A version 4 UUID in its hyphenated form. The generator is seeded per thread from the
/// process' random hasher keys; ids need to be unique, not unguessable.
fn random_uuid() -> HeaderValue {
    let uuid = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    HeaderValue::from_str(uuid.hyphenated().encode_lower(&mut text))
        .expect("a UUID is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| random_uuid()).collect();
        assert_eq!(ids.len(), 1000, "no id repeats");
        for id in &ids {
            let uuid = uuid::Uuid::parse_str(id.to_str().expect("ASCII")).expect("a UUID");
            assert_eq!(uuid.get_version_num(), 4);
        }
    }
}
