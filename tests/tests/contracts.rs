//! Rules every EstoSpaces contract follows, checked on the compiled descriptor set — the same
//! bytes reflection and the gateway use.

use prost_reflect::{DescriptorPool, MethodDescriptor, Value};

fn pool() -> DescriptorPool {
    DescriptorPool::decode(estospaces_proto::FILE_DESCRIPTOR_SET).expect("a valid descriptor set")
}

fn our_methods(pool: &DescriptorPool) -> Vec<MethodDescriptor> {
    pool.services()
        .filter(|service| service.package_name().starts_with("estospaces."))
        .flat_map(|service| service.methods().collect::<Vec<_>>())
        .collect()
}

#[test]
fn every_service_lives_in_a_versioned_estospaces_package() {
    let pool = pool();
    let services: Vec<_> = pool
        .services()
        .filter(|service| service.package_name().starts_with("estospaces."))
        .collect();
    assert!(!services.is_empty());
    for service in services {
        let package = service.package_name();
        let version = package.rsplit('.').next().unwrap_or_default();
        assert!(
            version.starts_with('v') && version[1..].chars().all(|c| c.is_ascii_digit()),
            "{} is in unversioned package {package}",
            service.full_name()
        );
        assert!(
            service.name().ends_with("Service"),
            "{}",
            service.full_name()
        );
    }
}

#[test]
fn every_rpc_has_an_http_binding_for_the_gateway() {
    let pool = pool();
    let http = pool
        .get_extension_by_name("google.api.http")
        .expect("google/api/annotations.proto is compiled in");
    // REST and grpc-web cannot stream requests: a client-streaming RPC is for native gRPC
    // clients, beside a unary twin that has the binding (UploadMedia, UploadMediaBody).
    for method in our_methods(&pool)
        .into_iter()
        .filter(|method| !method.is_client_streaming())
    {
        let options = method.options();
        assert!(
            options.has_extension(&http),
            "{} has no google.api.http annotation",
            method.full_name()
        );
        let rule = options.get_extension(&http);
        let Value::Message(rule) = rule.as_ref() else {
            panic!("google.api.http is a message");
        };
        let has_verb = ["get", "put", "post", "delete", "patch", "custom"]
            .iter()
            .any(|verb| rule.has_field_by_name(verb));
        assert!(has_verb, "{} binds no HTTP verb", method.full_name());
    }
}

#[test]
fn no_two_rpcs_share_a_route() {
    // The gateway routes by verb and path: a second binding of a route would send one service's
    // calls to another (two services' `POST /v1/reports`).
    let pool = pool();
    let http = pool
        .get_extension_by_name("google.api.http")
        .expect("google/api/annotations.proto is compiled in");
    let mut seen = std::collections::BTreeMap::new();
    for method in our_methods(&pool) {
        let options = method.options();
        let rule = options.get_extension(&http);
        let Value::Message(rule) = rule.as_ref() else {
            continue;
        };
        for verb in ["get", "put", "post", "delete", "patch"] {
            if let Some(Value::String(path)) = rule.get_field_by_name(verb).as_deref()
                && !path.is_empty()
            {
                let route = format!("{} {path}", verb.to_uppercase());
                if let Some(other) = seen.insert(route.clone(), method.full_name().to_owned()) {
                    panic!(
                        "{route} is bound by both {other} and {}",
                        method.full_name()
                    );
                }
            }
        }
    }
}

#[test]
fn every_rpc_is_documented() {
    let pool = pool();
    for method in our_methods(&pool) {
        let comments = method
            .parent_file()
            .file_descriptor_proto()
            .source_code_info
            .as_ref()
            .and_then(|info| {
                info.location
                    .iter()
                    .find(|location| location.path == method.path())
                    .and_then(|location| location.leading_comments.clone())
            })
            .unwrap_or_default();
        assert!(
            comments.trim().len() > 10,
            "{} has no doc comment (source info must be kept in the descriptor set)",
            method.full_name()
        );
    }
}
