//! What the gateway serves, read from the descriptors: every RPC of every `estospaces.<domain>.vN`
//! service, its REST bindings (`google.api.http`, additional bindings included) and its method
//! options (`estospaces.api.v1.authentication`, `estospaces.api.v1.http_success_status`).

use std::collections::HashMap;
use std::sync::Arc;

use http::{Method, StatusCode};
use prost::encoding::{DecodeContext, WireType, decode_key, skip_field};
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor,
    Value,
};

use crate::template::{PathTemplate, TemplateError};

/// One RPC the gateway fronts.
#[derive(Debug)]
pub struct Rpc {
    pub descriptor: MethodDescriptor,
    /// The gRPC path, `/estospaces.identity.v1.IdentityService/GetUser`.
    pub grpc_path: String,
    /// The same path, parsed once for the calls upstream.
    pub path: http::uri::PathAndQuery,
    /// The upstream it lives on: `identity` for `estospaces.identity.v1`.
    pub domain: String,
    /// Callable without an access token (`AUTHENTICATION_PUBLIC`).
    pub public: bool,
    /// The HTTP status of a successful REST call.
    pub success_status: StatusCode,
}

/// Whether `field` is a `google.api.HttpBody`: a body taken as raw bytes (an upload), not JSON.
pub fn is_http_body(field: &FieldDescriptor) -> bool {
    matches!(field.kind(), prost_reflect::Kind::Message(m) if m.full_name() == HTTP_BODY)
}

/// The message a raw HTTP body travels in, both ways.
pub const HTTP_BODY: &str = "google.api.HttpBody";

/// Where the request message's fields come from besides the path.
#[derive(Debug, Clone)]
pub enum BodyBinding {
    /// No body; every field not in the path comes from the query string.
    None,
    /// `body: "*"`: the body is the request message (minus path fields); no query parameters.
    Whole,
    /// `body: "field"`: the body is that field; other fields come from the query string. A
    /// `google.api.HttpBody` field takes the raw body and its `Content-Type`.
    Field(FieldDescriptor),
}

/// One REST binding of an RPC.
#[derive(Debug)]
pub struct Route {
    pub method: Method,
    pub template: PathTemplate,
    pub body: BodyBinding,
    /// `response_body`: the response field sent instead of the whole message.
    pub response_body: Option<FieldDescriptor>,
    pub rpc: Arc<Rpc>,
}

/// The descriptors cannot be served: a bad template, a binding to a missing field, ...
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{method}: {source}")]
    Template {
        method: String,
        source: TemplateError,
    },
    #[error("{method}: `{field}` is not a field of {message}")]
    UnknownField {
        method: String,
        field: String,
        message: String,
    },
    #[error("{method}: {reason}")]
    Invalid { method: String, reason: String },
}

/// Every RPC and route, looked up by gRPC path or matched by HTTP request.
#[derive(Debug)]
pub struct Catalog {
    pool: DescriptorPool,
    rpcs: HashMap<String, Arc<Rpc>>,
    /// Most specific first, so `/v1/users:register` wins over `/v1/{name=users/*}`.
    routes: Vec<Route>,
}

/// A request matched to a route.
#[derive(Debug)]
pub struct RouteMatch<'a> {
    pub route: &'a Route,
    pub bindings: Vec<(String, String)>,
}

/// The outcome of matching an HTTP request.
#[derive(Debug)]
pub enum Lookup<'a> {
    Found(RouteMatch<'a>),
    /// The path exists, with other methods.
    MethodNotAllowed,
    NotFound,
}

impl Catalog {
    /// Reads every `estospaces.*` service in `pool`.
    pub fn new(pool: DescriptorPool) -> Result<Self, CatalogError> {
        let http_rule = pool.get_extension_by_name("google.api.http");
        let authentication = pool.get_extension_by_name("estospaces.api.v1.authentication");
        let success_status = pool.get_extension_by_name("estospaces.api.v1.http_success_status");

        let mut rpcs = HashMap::new();
        let mut routes = Vec::new();
        for service in pool.services() {
            let Some(domain) = domain_of(service.package_name()) else {
                continue;
            };
            for method in service.methods() {
                let name = method.full_name().to_owned();
                let options = method.options();
                let public = authentication.as_ref().is_some_and(|ext| {
                    // AUTHENTICATION_PUBLIC = 2 in estospaces/api/v1/annotations.proto.
                    options.get_extension(ext).as_enum_number() == Some(2)
                });
                let status = match success_status.as_ref() {
                    Some(ext) if options.has_extension(ext) => {
                        let code = options.get_extension(ext).as_i32().unwrap_or(200);
                        u16::try_from(code)
                            .ok()
                            .and_then(|code| StatusCode::from_u16(code).ok())
                            .filter(StatusCode::is_success)
                            .ok_or_else(|| CatalogError::Invalid {
                                method: name.clone(),
                                reason: format!("http_success_status {code} is not a 2xx status"),
                            })?
                    }
                    _ => StatusCode::OK,
                };
                let grpc_path = format!("/{}/{}", service.full_name(), method.name());
                let path = grpc_path.parse().map_err(|_| CatalogError::Invalid {
                    method: name.clone(),
                    reason: format!("`{grpc_path}` is not a URI path"),
                })?;
                let rpc = Arc::new(Rpc {
                    grpc_path,
                    path,
                    descriptor: method.clone(),
                    domain: domain.to_owned(),
                    public,
                    success_status: status,
                });
                rpcs.insert(rpc.grpc_path.clone(), rpc.clone());

                let Some(ext) = http_rule.as_ref() else {
                    continue;
                };
                if !options.has_extension(ext) {
                    continue;
                }
                if let Value::Message(rule) = options.get_extension(ext).as_ref() {
                    let additional = match rule.get_field_by_name("additional_bindings") {
                        Some(value) => value
                            .as_list()
                            .map(|list| {
                                list.iter()
                                    .filter_map(|v| v.as_message().cloned())
                                    .collect::<Vec<_>>()
                            })
                            .unwrap_or_default(),
                        None => Vec::new(),
                    };
                    for binding in std::iter::once(rule.clone()).chain(additional) {
                        routes.push(route_from_rule(&binding, &rpc)?);
                    }
                }
            }
        }
        routes.sort_by_key(|route| std::cmp::Reverse(route.template.literal_count()));
        Ok(Self { pool, rpcs, routes })
    }

    /// The descriptors the catalog was read from.
    pub fn pool(&self) -> &DescriptorPool {
        &self.pool
    }

    /// The RPC at a gRPC path.
    pub fn rpc(&self, grpc_path: &str) -> Option<&Arc<Rpc>> {
        self.rpcs.get(grpc_path)
    }

    /// Every RPC, in no particular order.
    pub fn rpcs(&self) -> impl Iterator<Item = &Arc<Rpc>> {
        self.rpcs.values()
    }

    /// Every REST route, most specific first.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Matches a REST request.
    pub fn lookup(&self, method: &Method, path: &str) -> Lookup<'_> {
        let mut path_exists = false;
        for route in &self.routes {
            if let Some(bindings) = route.template.matches(path) {
                if route.method == *method {
                    return Lookup::Found(RouteMatch { route, bindings });
                }
                path_exists = true;
            }
        }
        if path_exists {
            Lookup::MethodNotAllowed
        } else {
            Lookup::NotFound
        }
    }
}

/// `identity` for `estospaces.identity.v1`; `None` for packages that are not ours.
pub fn domain_of(package: &str) -> Option<&str> {
    let mut parts = package.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("estospaces"), Some(domain), Some(version), None)
            if version.starts_with('v') && domain != "api" =>
        {
            Some(domain)
        }
        _ => None,
    }
}

fn route_from_rule(rule: &DynamicMessage, rpc: &Arc<Rpc>) -> Result<Route, CatalogError> {
    let method_name = rpc.descriptor.full_name().to_owned();
    let text = |field: &str| {
        rule.get_field_by_name(field)
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let (method, path) = if let Some(custom) = rule
        .get_field_by_name("custom")
        .filter(|_| rule.has_field_by_name("custom"))
        .and_then(|value| value.as_message().cloned())
    {
        let kind = custom
            .get_field_by_name("kind")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let path = custom
            .get_field_by_name("path")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let method = Method::from_bytes(kind.as_bytes()).map_err(|_| CatalogError::Invalid {
            method: method_name.clone(),
            reason: format!("custom HTTP method `{kind}` is not a method"),
        })?;
        (method, path)
    } else {
        [
            ("get", Method::GET),
            ("put", Method::PUT),
            ("post", Method::POST),
            ("delete", Method::DELETE),
            ("patch", Method::PATCH),
        ]
        .into_iter()
        .find(|(field, _)| rule.has_field_by_name(field))
        .map(|(field, method)| (method, text(field)))
        .ok_or_else(|| CatalogError::Invalid {
            method: method_name.clone(),
            reason: "the http rule names no method and path".to_owned(),
        })?
    };
    let template = PathTemplate::parse(&path).map_err(|source| CatalogError::Template {
        method: method_name.clone(),
        source,
    })?;

    let input = rpc.descriptor.input();
    for field_path in template.field_paths() {
        resolve_path(&input, field_path).ok_or_else(|| CatalogError::UnknownField {
            method: method_name.clone(),
            field: field_path.to_owned(),
            message: input.full_name().to_owned(),
        })?;
    }
    let body = match text("body").as_str() {
        "" => BodyBinding::None,
        "*" => BodyBinding::Whole,
        field => BodyBinding::Field(input.get_field_by_name(field).ok_or_else(|| {
            CatalogError::UnknownField {
                method: method_name.clone(),
                field: field.to_owned(),
                message: input.full_name().to_owned(),
            }
        })?),
    };
    let response_body = match text("response_body").as_str() {
        "" => None,
        field => {
            let output = rpc.descriptor.output();
            Some(
                output
                    .get_field_by_name(field)
                    .ok_or_else(|| CatalogError::UnknownField {
                        method: method_name.clone(),
                        field: field.to_owned(),
                        message: output.full_name().to_owned(),
                    })?,
            )
        }
    };
    Ok(Route {
        method,
        template,
        body,
        response_body,
        rpc: rpc.clone(),
    })
}

/// The field at a dotted path of proto field names, every step but the last a singular message.
pub fn resolve_path(message: &MessageDescriptor, path: &str) -> Option<FieldDescriptor> {
    let mut message = message.clone();
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let field = message.get_field_by_name(part)?;
        if parts.peek().is_none() {
            return Some(field);
        }
        match field.kind() {
            Kind::Message(next) if !field.is_list() && !field.is_map() => message = next,
            _ => return None,
        }
    }
    None
}

/// `set`, an encoded `FileDescriptorSet`, without its files' source info (the contracts' comments
/// and spans). Transcoding never reads it, and decoded it is most of a pool's memory: prost-reflect
/// keeps every file twice, once with its extension options. Stripped here, on the wire, so those
/// options (`google.api.http`, ...) survive.
pub fn without_source_info(set: &[u8]) -> Result<Vec<u8>, prost::DecodeError> {
    const FILE: u32 = 1; // FileDescriptorSet.file
    const SOURCE_CODE_INFO: u32 = 9; // FileDescriptorProto.source_code_info
    let mut lean = Vec::with_capacity(set.len());
    let mut rest = set;
    while !rest.is_empty() {
        let field = rest;
        let (number, wire_type) = decode_key(&mut rest)?;
        if number == FILE && wire_type == WireType::LengthDelimited {
            let mut file = Vec::new();
            prost::encoding::bytes::merge(
                wire_type,
                &mut file,
                &mut rest,
                DecodeContext::default(),
            )?;
            prost::encoding::bytes::encode(
                FILE,
                &without_field(&file, SOURCE_CODE_INFO)?,
                &mut lean,
            );
        } else {
            skip_field(wire_type, number, &mut rest, DecodeContext::default())?;
            lean.extend_from_slice(&field[..field.len() - rest.len()]);
        }
    }
    Ok(lean)
}

/// `message`'s encoding without field `dropped`.
fn without_field(message: &[u8], dropped: u32) -> Result<Vec<u8>, prost::DecodeError> {
    let mut kept = Vec::with_capacity(message.len());
    let mut rest = message;
    while !rest.is_empty() {
        let field = rest;
        let (number, wire_type) = decode_key(&mut rest)?;
        skip_field(wire_type, number, &mut rest, DecodeContext::default())?;
        if number != dropped {
            kept.extend_from_slice(&field[..field.len() - rest.len()]);
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_come_from_the_second_segment_of_our_packages() {
        assert_eq!(domain_of("estospaces.identity.v1"), Some("identity"));
        assert_eq!(domain_of("estospaces.listing.v2beta"), Some("listing"));
        assert_eq!(domain_of("estospaces.api.v1"), None);
        assert_eq!(domain_of("google.api"), None);
        assert_eq!(domain_of("estospaces.identity"), None);
    }

    #[test]
    fn the_identity_contract_yields_its_routes_and_options() {
        let pool = DescriptorPool::decode(estospaces_proto::FILE_DESCRIPTOR_SET)
            .expect("the descriptor set decodes");
        let catalog = Catalog::new(pool).expect("the contracts are servable");

        let register = catalog
            .rpc("/estospaces.identity.v1.IdentityService/RegisterUser")
            .expect("RegisterUser");
        assert!(register.public);
        assert_eq!(register.success_status, StatusCode::CREATED);
        assert_eq!(register.domain, "identity");
        let get_user = catalog
            .rpc("/estospaces.identity.v1.IdentityService/GetUser")
            .expect("GetUser");
        assert!(!get_user.public, "unset means a token is required");

        match catalog.lookup(&Method::GET, "/v1/users/abc") {
            Lookup::Found(found) => {
                assert_eq!(found.route.rpc.grpc_path, get_user.grpc_path);
                assert_eq!(
                    found.bindings,
                    [("name".to_owned(), "users/abc".to_owned())]
                );
            }
            other => panic!("expected GetUser, got {other:?}"),
        }
        assert!(matches!(
            catalog.lookup(&Method::PUT, "/v1/users/abc"),
            Lookup::MethodNotAllowed
        ));
        assert!(matches!(
            catalog.lookup(&Method::GET, "/v2/nothing"),
            Lookup::NotFound
        ));
    }

    #[test]
    fn a_catalog_without_source_info_serves_the_same_routes_and_keeps_no_comments() {
        let full = Catalog::new(
            DescriptorPool::decode(estospaces_proto::FILE_DESCRIPTOR_SET).expect("decodes"),
        )
        .expect("servable");
        let stripped = without_source_info(estospaces_proto::FILE_DESCRIPTOR_SET).expect("strips");
        assert!(stripped.len() < estospaces_proto::FILE_DESCRIPTOR_SET.len() / 2);
        let lean = Catalog::new(DescriptorPool::decode(stripped.as_slice()).expect("decodes"))
            .expect("servable");

        assert!(
            lean.pool()
                .files()
                .all(|file| file.file_descriptor_proto().source_code_info.is_none())
        );
        // The extension options the routes come from survive the stripping.
        let routes = |catalog: &Catalog| {
            catalog
                .routes()
                .iter()
                .map(|route| {
                    let rpc = &route.rpc;
                    (
                        route.method.clone(),
                        route.template.openapi_path(),
                        format!("{:?}", route.body),
                        rpc.grpc_path.clone(),
                        rpc.public,
                        rpc.success_status,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert!(!routes(&full).is_empty());
        assert_eq!(routes(&lean), routes(&full));
    }

    #[test]
    fn stripping_source_info_refuses_a_broken_set() {
        let mut broken = estospaces_proto::FILE_DESCRIPTOR_SET.to_vec();
        broken.truncate(broken.len() - 3);
        assert!(without_source_info(&broken).is_err());
    }
}
