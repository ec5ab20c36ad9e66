//! Generated code for every EstoSpaces protobuf contract.
//!
//! Services depend on this crate for each other's clients and never on each other's code. The
//! module tree mirrors the protobuf packages: `estospaces.identity.v1` is
//! [`estospaces::identity::v1`].

#![forbid(unsafe_code)]
// Generated code: doc comments come from the .proto files, whose style we do not control here.
#![allow(
    clippy::doc_lazy_continuation,
    clippy::large_enum_variant,
    clippy::enum_variant_names
)]

/// The encoded `google.protobuf.FileDescriptorSet` of every contract and its imports, with
/// source info: for gRPC reflection and for the gateway's JSON transcoding.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/estospaces_descriptor.bin"));

pub mod estospaces {
    pub mod identity {
        pub mod v1 {
            tonic::include_proto!("estospaces.identity.v1");
        }
    }
}

pub use estospaces::identity::v1 as identity_v1;
