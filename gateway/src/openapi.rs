//! An OpenAPI 3.1 document generated from the same catalog the gateway serves, so the document
//! cannot drift from the routes.
//!
//! Path parameters are not repeated in request bodies, `(google.api.field_behavior) = REQUIRED`
//! fields are listed as required (OUTPUT_ONLY ones as read-only, INPUT_ONLY ones as write-only),
//! doc comments become descriptions and server streams are described with their media types.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::{
    ExtensionDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor, MethodDescriptor,
};
use serde_json::{Map, Value, json};

use crate::catalog::{BodyBinding, Catalog, Route};
use crate::template::OpenApiParameter;

/// `google.api.FieldBehavior` values the document uses.
const REQUIRED: i32 = 2;
const OUTPUT_ONLY: i32 = 3;
const INPUT_ONLY: i32 = 4;

/// The errors every operation lists (403 only with a token, 409 only for writes), by component
/// name: HTTP status and description. Anything else is the `default` response, also a `Status`.
const ERROR_RESPONSES: &[(&str, (&str, &str))] = &[
    (
        "BadRequest",
        (
            "400",
            "INVALID_ARGUMENT, FAILED_PRECONDITION or OUT_OF_RANGE: a `BadRequest` detail names \
             the fields.",
        ),
    ),
    (
        "Unauthenticated",
        (
            "401",
            "UNAUTHENTICATED: no token, or one that does not verify.",
        ),
    ),
    ("PermissionDenied", ("403", "PERMISSION_DENIED.")),
    ("NotFound", ("404", "NOT_FOUND.")),
    (
        "Conflict",
        (
            "409",
            "ALREADY_EXISTS or ABORTED (`IDEMPOTENCY_KEY_IN_USE`: the first request with this \
             `Idempotency-Key` still runs; retry).",
        ),
    ),
    (
        "IdempotencyKeyReused",
        (
            "422",
            "INVALID_ARGUMENT with reason `IDEMPOTENCY_KEY_REUSED`: the `Idempotency-Key` was \
             used for a different request.",
        ),
    ),
    (
        "TooManyRequests",
        (
            "429",
            "RESOURCE_EXHAUSTED: rate limited; `Retry-After` says when to try again.",
        ),
    ),
];

/// How deep query parameters are listed inside nested messages.
const MAX_QUERY_DEPTH: usize = 3;

/// The OpenAPI 3.1 document for every route in `catalog`.
pub fn document(catalog: &Catalog) -> Value {
    let mut builder = Builder {
        field_behavior: catalog
            .pool()
            .get_extension_by_name("google.api.field_behavior"),
        schemas: BTreeMap::new(),
        pending: Vec::new(),
    };
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut operation_ids = BTreeSet::new();
    // A client stream cannot be called over REST (the gateway answers 501): not an operation.
    for route in catalog
        .routes()
        .iter()
        .filter(|route| !route.rpc.descriptor.is_client_streaming())
    {
        let operation = builder.operation(route, &mut operation_ids);
        paths
            .entry(route.template.openapi_path())
            .or_default()
            .insert(route.method.as_str().to_lowercase(), operation);
    }
    builder.drain();
    let mut schemas: Map<String, Value> = builder.schemas.into_iter().collect();
    schemas.insert("Status".to_owned(), status_schema());
    let mut responses: Map<String, Value> = ERROR_RESPONSES
        .iter()
        .map(|(name, (_, description))| {
            (
                (*name).to_owned(),
                json!({
                    "description": description,
                    "content": {
                        "application/json": { "schema": { "$ref": "#/components/schemas/Status" } },
                    },
                }),
            )
        })
        .collect();
    responses.insert(
        "Error".to_owned(),
        json!({
            "description": "Any other error, as a google.rpc.Status.",
            "content": {
                "application/json": { "schema": { "$ref": "#/components/schemas/Status" } },
            },
        }),
    );

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "EstoSpaces API",
            "version": "v1",
            "description": "REST/JSON transcoding of the EstoSpaces gRPC services. Every \
                operation is also callable over gRPC and grpc-web at its gRPC path.",
        },
        "paths": paths,
        "security": [{ "bearer": [] }],
        "components": {
            "schemas": schemas,
            "responses": responses,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An access token from `POST /v1/sessions:login`.",
                },
            },
        },
    })
}

/// The Redoc bundle `/docs` loads: `bundles/redoc.standalone.js` of the npm package `redoc`,
/// vendored in `assets/redoc/` with its licenses and served by the gateway itself.
pub const REDOC_BUNDLE: &str = "redoc-2.5.2.standalone.js";
static REDOC_JS: &[u8] = include_bytes!("../assets/redoc/redoc-2.5.2.standalone.js");

/// The page's policy: everything from the gateway, nothing from elsewhere. Redoc injects its
/// styles (styled-components) and runs its search index in a `blob:` worker.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'self'";

/// A page rendering `/openapi.json` with the bundled Redoc; no inline script.
pub const DOCS_PAGE: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>EstoSpaces API</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="/docs/redoc-2.5.2.standalone.js"></script>
  </body>
</html>
"#;

/// `/docs` and the renderer it loads (`/docs/<bundle>`, cached for a year: its name carries
/// its version).
pub fn docs_routes<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    use axum::routing::get;
    use http::header;
    axum::Router::new()
        .route(
            "/docs",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                        (header::CONTENT_SECURITY_POLICY, DOCS_CSP),
                        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    DOCS_PAGE,
                )
            }),
        )
        .route(
            &format!("/docs/{REDOC_BUNDLE}"),
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                    ],
                    REDOC_JS,
                )
            }),
        )
}

struct Builder {
    field_behavior: Option<ExtensionDescriptor>,
    schemas: BTreeMap<String, Value>,
    /// Messages referenced but not yet described.
    pending: Vec<MessageDescriptor>,
}

impl Builder {
    fn operation(&mut self, route: &Route, operation_ids: &mut BTreeSet<String>) -> Value {
        let method = &route.rpc.descriptor;
        let service = method.parent_service();
        let base_id = format!("{}_{}", service.name(), method.name());
        let mut operation_id = base_id.clone();
        let mut n = 1;
        while !operation_ids.insert(operation_id.clone()) {
            n += 1;
            operation_id = format!("{base_id}_{n}");
        }
        let input = method.input();
        let description = comments(&method.parent_file(), method.path()).unwrap_or_default();
        let summary = description.lines().next().unwrap_or_default().to_owned();

        let openapi = route.template.openapi();
        let mut parameters: Vec<Value> = openapi
            .parameters
            .iter()
            .map(|parameter| self.path_parameter(route, &input, parameter))
            .collect();
        let path_fields: Vec<&str> = route.template.field_paths().collect();
        let top_bound: BTreeSet<&str> = path_fields
            .iter()
            .map(|path| path.split('.').next().unwrap_or_default())
            .collect();

        let mut request_body = None;
        match &route.body {
            BodyBinding::Whole => {
                let schema = if top_bound.is_empty() {
                    self.reference(&input)
                } else {
                    self.message_schema(&input, &top_bound)
                };
                request_body = Some(json!({
                    "required": true,
                    "content": { "application/json": { "schema": schema } },
                }));
            }
            BodyBinding::Field(field) => {
                // `{thing.name=...}` with `body: "thing"`: the body's `name` comes from the path.
                let prefix = format!("{}.", field.name());
                let bound_inside: BTreeSet<&str> = path_fields
                    .iter()
                    .filter_map(|path| path.strip_prefix(prefix.as_str()))
                    .filter(|rest| !rest.contains('.'))
                    .collect();
                request_body = Some(if crate::catalog::is_http_body(field) {
                    // The raw body, with its own Content-Type (an upload).
                    let content: Map<String, Value> = http_body_types(method, Direction::Request)
                        .into_iter()
                        .map(|media_type| (media_type, binary_media()))
                        .collect();
                    json!({ "required": true, "content": content })
                } else {
                    let schema = match field.kind() {
                        Kind::Message(message) if !bound_inside.is_empty() && !field.is_list() => {
                            self.message_schema(&message, &bound_inside)
                        }
                        _ => self.field_schema(field),
                    };
                    json!({
                        "required": true,
                        "content": { "application/json": { "schema": schema } },
                    })
                });
                let mut excluded = top_bound.clone();
                excluded.insert(field.name());
                self.query_parameters(&input, "", &excluded, 0, &mut parameters);
            }
            BodyBinding::None => {
                self.query_parameters(&input, "", &top_bound, 0, &mut parameters);
            }
        }

        let output = method.output();
        let response_schema = match &route.response_body {
            Some(field) => self.field_schema(field),
            None => self.reference(&output),
        };
        let content = if method.is_server_streaming() {
            let frame = json!({
                "type": "object",
                "properties": {
                    "result": response_schema,
                    "error": { "$ref": "#/components/schemas/Status" },
                },
            });
            json!({
                "application/x-ndjson": { "schema": frame },
                "text/event-stream": { "schema": { "type": "string" } },
            })
        } else if output.full_name() == crate::catalog::HTTP_BODY && route.response_body.is_none() {
            // The body itself, of the type the service says (a calendar feed, an image).
            let content: Map<String, Value> = http_body_types(method, Direction::Response)
                .into_iter()
                .map(|media_type| (media_type, binary_media()))
                .collect();
            Value::Object(content)
        } else {
            json!({ "application/json": { "schema": response_schema } })
        };
        // Every unary POST takes a key; see estospaces-idempotency.
        let idempotent = route.method == http::Method::POST && !method.is_server_streaming();
        let mut success = json!({ "description": "Success", "content": content });
        if idempotent {
            parameters.push(json!({
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "description": "Makes retries safe: the same key with the same request answers \
                    the first response again (with `Idempotent-Replayed: true`) for 24 hours; \
                    with a different request, 422. Keys belong to the caller.",
                "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$" },
            }));
            success["headers"] = json!({
                "Idempotent-Replayed": {
                    "description": "`true` when this is the stored response of an earlier \
                        request with the same `Idempotency-Key`.",
                    "schema": { "type": "string", "enum": ["true"] },
                },
            });
        }
        let mut responses = Map::new();
        responses.insert(route.rpc.success_status.as_u16().to_string(), success);
        for (name, (code, _)) in ERROR_RESPONSES {
            let applies = match *code {
                "403" => !route.rpc.public,
                "409" => route.method != http::Method::GET,
                "422" => idempotent,
                _ => true,
            };
            if applies {
                responses.insert(
                    (*code).to_owned(),
                    json!({ "$ref": format!("#/components/responses/{name}") }),
                );
            }
        }
        responses.insert(
            "default".to_owned(),
            json!({ "$ref": "#/components/responses/Error" }),
        );
        let mut operation = json!({
            "operationId": operation_id,
            "tags": [service.name()],
            "summary": summary,
            "description": description,
            "parameters": parameters,
            "responses": responses,
            // Public methods need no token, but verify one that is sent.
            "security": if route.rpc.public {
                json!([{}, { "bearer": [] }])
            } else {
                json!([{ "bearer": [] }])
            },
        });
        if let Some(body) = request_body {
            operation["requestBody"] = body;
        }
        operation
    }

    /// One path parameter: a field's whole value (`{share_token}`), or one segment of a
    /// resource name (`user` of `users/{user}/profile`).
    fn path_parameter(
        &mut self,
        route: &Route,
        input: &MessageDescriptor,
        parameter: &OpenApiParameter,
    ) -> Value {
        let field = parameter
            .field_path
            .as_deref()
            .and_then(|path| crate::catalog::resolve_path(input, path));
        let mut schema = match &field {
            Some(field) if parameter.whole_field && !parameter.rest => {
                let mut schema = self.field_schema(field);
                self.constrain(field, &mut schema, true);
                schema
            }
            // The services name their resources `<collection>/<uuid>`.
            _ if parameter.field_path.is_some() && !parameter.rest => {
                json!({ "type": "string", "format": "uuid" })
            }
            _ => json!({ "type": "string" }),
        };
        if schema["type"] == "string" {
            schema["minLength"] = json!(1);
        }
        let description = match (&parameter.field_path, parameter.rest) {
            (Some(path), true) => format!(
                "`{path}`: the rest of the path, which may hold `/` (sent as is, not as `%2F`)."
            ),
            (Some(path), false) if !parameter.whole_field => {
                let pattern = route.template.openapi_pattern(path).unwrap_or_default();
                format!("A segment of `{path}`, which is `{pattern}`.")
            }
            (Some(path), false) => field
                .as_ref()
                .and_then(|f| comments(&f.parent_message().parent_file(), f.path()))
                .unwrap_or_else(|| format!("`{path}`.")),
            (None, _) => "Any one path segment.".to_owned(),
        };
        json!({
            "name": parameter.name,
            "in": "path",
            "required": true,
            "description": description,
            "schema": schema,
        })
    }

    /// Query parameters for the fields not bound elsewhere, nested messages as dotted names.
    fn query_parameters(
        &mut self,
        message: &MessageDescriptor,
        prefix: &str,
        excluded: &BTreeSet<&str>,
        depth: usize,
        out: &mut Vec<Value>,
    ) {
        for field in message.fields() {
            if depth == 0 && excluded.contains(field.name()) {
                continue;
            }
            let name = format!("{prefix}{}", field.json_name());
            match field.kind() {
                Kind::Message(nested)
                    if !field.is_list() && !field.is_map() && !is_well_known(&nested) =>
                {
                    if depth + 1 < MAX_QUERY_DEPTH {
                        self.query_parameters(
                            &nested,
                            &format!("{name}."),
                            excluded,
                            depth + 1,
                            out,
                        );
                    }
                }
                _ if field.is_map() => {}
                _ => {
                    let required = depth == 0 && self.behaviors(&field).contains(&REQUIRED);
                    let mut schema = self.field_schema(&field);
                    self.constrain(&field, &mut schema, required);
                    out.push(json!({
                        "name": name,
                        "in": "query",
                        "required": required,
                        "description": comments(&message.parent_file(), field.path())
                            .unwrap_or_default(),
                        "schema": schema,
                        "explode": true,
                    }));
                }
            }
        }
    }

    fn reference(&mut self, message: &MessageDescriptor) -> Value {
        if let Some(schema) = well_known_schema(message) {
            return schema;
        }
        if !self.schemas.contains_key(message.full_name())
            && !self
                .pending
                .iter()
                .any(|m| m.full_name() == message.full_name())
        {
            self.pending.push(message.clone());
        }
        json!({ "$ref": format!("#/components/schemas/{}", message.full_name()) })
    }

    fn drain(&mut self) {
        while let Some(message) = self.pending.pop() {
            if self.schemas.contains_key(message.full_name()) {
                continue;
            }
            // A placeholder first, so recursive messages terminate.
            self.schemas
                .insert(message.full_name().to_owned(), Value::Null);
            let schema = self.message_schema(&message, &BTreeSet::new());
            self.schemas.insert(message.full_name().to_owned(), schema);
        }
    }

    fn message_schema(&mut self, message: &MessageDescriptor, excluded: &BTreeSet<&str>) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in message.fields() {
            if excluded.contains(field.name()) {
                continue;
            }
            let mut schema = self.field_schema(&field);
            let behaviors = self.behaviors(&field);
            if let Some(description) = comments(&message.parent_file(), field.path()) {
                schema["description"] = Value::String(description);
            }
            if behaviors.contains(&OUTPUT_ONLY) {
                schema["readOnly"] = Value::Bool(true);
            }
            if behaviors.contains(&INPUT_ONLY) {
                schema["writeOnly"] = Value::Bool(true);
            }
            if behaviors.contains(&REQUIRED) {
                required.push(Value::String(field.json_name().to_owned()));
            }
            self.constrain(&field, &mut schema, behaviors.contains(&REQUIRED));
            properties.insert(field.json_name().to_owned(), schema);
        }
        // The gateway refuses fields a message does not have, and answers with exactly its fields.
        let mut schema = json!({
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        });
        if !required.is_empty() {
            schema["required"] = Value::Array(required);
        }
        if let Some(description) = comments(&message.parent_file(), message.path()) {
            schema["description"] = Value::String(description);
        }
        schema
    }

    fn field_schema(&mut self, field: &FieldDescriptor) -> Value {
        if field.is_map()
            && let Kind::Message(entry) = field.kind()
        {
            let value = entry.map_entry_value_field();
            return json!({
                "type": "object",
                "additionalProperties": self.kind_schema(&value.kind()),
            });
        }
        let item = self.kind_schema(&field.kind());
        if field.is_list() {
            json!({ "type": "array", "items": item })
        } else {
            item
        }
    }

    fn kind_schema(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Bool => json!({ "type": "boolean" }),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => json!({
                "type": "integer",
                "format": "int32",
                "minimum": i32::MIN,
                "maximum": i32::MAX,
            }),
            Kind::Uint32 | Kind::Fixed32 => json!({
                "type": "integer",
                "format": "uint32",
                "minimum": 0,
                "maximum": u32::MAX,
            }),
            // Proto3 JSON writes 64-bit integers as strings, in decimal.
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => json!({
                "type": "string",
                "format": "int64",
                "pattern": "^-?[0-9]{1,19}$",
            }),
            Kind::Uint64 | Kind::Fixed64 => json!({
                "type": "string",
                "format": "uint64",
                "pattern": "^[0-9]{1,20}$",
            }),
            Kind::Float => json!({ "type": "number", "format": "float" }),
            Kind::Double => json!({ "type": "number", "format": "double" }),
            Kind::String => json!({ "type": "string" }),
            Kind::Bytes => json!({ "type": "string", "format": "byte" }),
            Kind::Enum(enumeration) => json!({
                "type": "string",
                "enum": enumeration.values().map(|v| v.name().to_owned()).collect::<Vec<_>>(),
            }),
            Kind::Message(message) => self.reference(message),
        }
    }

    /// What the services enforce beyond the type: a required string is not empty, a required
    /// enum is not `*_UNSPECIFIED`, and the rules [`field_rules`] lists.
    fn constrain(&self, field: &FieldDescriptor, schema: &mut Value, required: bool) {
        if field.is_list() || field.is_map() {
            return;
        }
        match field.kind() {
            Kind::String if required => {
                schema["minLength"] = json!(1);
            }
            Kind::Enum(enumeration) if required => {
                let names: Vec<String> = enumeration
                    .values()
                    .filter(|value| {
                        !(value.number() == 0 && value.name().ends_with("_UNSPECIFIED"))
                    })
                    .map(|value| value.name().to_owned())
                    .collect();
                if !names.is_empty() {
                    schema["enum"] = json!(names);
                }
            }
            _ => {}
        }
        if let Some(rules) = field_rules(field)
            && let (Value::Object(schema), Value::Object(rules)) = (schema, rules)
        {
            schema.extend(rules);
        }
    }

    fn behaviors(&self, field: &FieldDescriptor) -> Vec<i32> {
        let Some(extension) = &self.field_behavior else {
            return Vec::new();
        };
        let options = field.options();
        if !options.has_extension(extension) {
            return Vec::new();
        }
        options
            .get_extension(extension)
            .as_list()
            .map(|values| values.iter().filter_map(|v| v.as_enum_number()).collect())
            .unwrap_or_default()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

/// The media types a `google.api.HttpBody` carries for `method`: what the services send and
/// accept, else the `` `type/subtype` `` the method's comment names, else octet-stream.
fn http_body_types(method: &MethodDescriptor, direction: Direction) -> Vec<String> {
    const MEDIA: &[&str] = &["image/jpeg", "image/png", "image/webp", "application/pdf"];
    let known: &[&str] = match (method.full_name(), direction) {
        ("estospaces.booking.v1.BookingService.GetListingCalendarFeed", Direction::Response) => {
            &["text/calendar"]
        }
        ("estospaces.moderation.v1.ModerationService.ExportAuditEntries", Direction::Response) => {
            &["text/csv"]
        }
        ("estospaces.media.v1.MediaService.GetMediaContent", Direction::Response)
        | ("estospaces.media.v1.MediaService.UploadMediaBody", Direction::Request) => MEDIA,
        ("estospaces.media.v1.MediaService.AppendUpload", Direction::Request) => {
            &["application/octet-stream"]
        }
        _ => &[],
    };
    if !known.is_empty() {
        return known.iter().map(|t| (*t).to_owned()).collect();
    }
    let named: Vec<String> = comments(&method.parent_file(), method.path())
        .unwrap_or_default()
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| {
            quoted.split_once('/').is_some_and(|(kind, sub)| {
                ["text", "image", "application", "audio", "video"].contains(&kind)
                    && !sub.is_empty()
                    && sub
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            })
        })
        .map(str::to_owned)
        .collect();
    if named.is_empty() {
        vec!["application/octet-stream".to_owned()]
    } else {
        named
    }
}

/// A raw body of any bytes.
fn binary_media() -> Value {
    json!({ "schema": { "type": "string", "format": "binary" } })
}

fn is_well_known(message: &MessageDescriptor) -> bool {
    message.full_name().starts_with("google.protobuf.")
}

/// The JSON form of the well-known types, which is not their message shape.
fn well_known_schema(message: &MessageDescriptor) -> Option<Value> {
    Some(match message.full_name() {
        "google.protobuf.Timestamp" => json!({ "type": "string", "format": "date-time" }),
        // A calendar day; the services also refuse days that do not exist (2027-02-30).
        "google.type.Date" => json!({
            "type": "object",
            "properties": {
                "year": { "type": "integer", "format": "int32", "minimum": 1, "maximum": 9999 },
                "month": { "type": "integer", "format": "int32", "minimum": 1, "maximum": 12 },
                "day": { "type": "integer", "format": "int32", "minimum": 1, "maximum": 31 },
            },
        }),
        "google.protobuf.Duration" => {
            json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$" })
        }
        "google.protobuf.FieldMask" => {
            json!({ "type": "string", "description": "Comma-separated field paths." })
        }
        "google.protobuf.Struct" => json!({ "type": "object" }),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({ "type": "array" }),
        "google.protobuf.Empty" => json!({ "type": "object" }),
        "google.protobuf.Any" => json!({
            "type": "object",
            "properties": { "@type": { "type": "string" } },
            "additionalProperties": true,
        }),
        "google.protobuf.StringValue" => json!({ "type": ["string", "null"] }),
        "google.protobuf.BytesValue" => json!({ "type": ["string", "null"], "format": "byte" }),
        "google.protobuf.BoolValue" => json!({ "type": ["boolean", "null"] }),
        "google.protobuf.Int32Value" | "google.protobuf.UInt32Value" => {
            json!({ "type": ["integer", "null"] })
        }
        "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" => {
            json!({ "type": ["string", "null"] })
        }
        "google.protobuf.FloatValue" | "google.protobuf.DoubleValue" => {
            json!({ "type": ["number", "null"] })
        }
        _ => return None,
    })
}

fn status_schema() -> Value {
    json!({
        "type": "object",
        "description": "A google.rpc.Status: the gRPC code, a message, and typed details.",
        "properties": {
            "code": {
                "type": "integer",
                "format": "int32",
                "minimum": 0,
                "maximum": 16,
                "description": "The google.rpc.Code.",
            },
            "message": { "type": "string" },
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "description": "A google.protobuf.Any: `@type` names the detail \
                        (`type.googleapis.com/google.rpc.BadRequest`, `ErrorInfo`, `RetryInfo`, \
                        ...), the other properties are its fields.",
                    "properties": { "@type": { "type": "string" } },
                    "required": ["@type"],
                    "additionalProperties": true,
                },
            },
        },
        "required": ["code", "message", "details"],
    })
}

/// Rules the services check that the descriptors do not say, by field: formats, lengths and
/// ranges, keyed by `message.field` (full message name) or, for rules every service shares, by
/// field name alone.
fn field_rules(field: &FieldDescriptor) -> Option<Value> {
    let message = field.parent_message();
    let key = format!("{}.{}", message.full_name(), field.name());
    let rule = match (key.as_str(), field.name(), field.kind()) {
        // Every list: 0 is the default size, larger ones are clamped, except where refused.
        (key, "page_size", Kind::Int32) if key.starts_with("estospaces.search.") => {
            json!({ "minimum": 0, "maximum": 100 })
        }
        (key, "page_size", Kind::Int32) if key.starts_with("estospaces.media.") => {
            json!({ "minimum": 0, "maximum": 200 })
        }
        (_, "page_size", Kind::Int32) => json!({ "minimum": 0 }),
        (key, "email", Kind::String) if key.starts_with("estospaces.identity.") => {
            json!({ "format": "email", "maxLength": 254 })
        }
        (key, "password" | "new_password", Kind::String)
            if key.starts_with("estospaces.identity.") =>
        {
            json!({ "minLength": 12, "maxLength": 128 })
        }
        ("estospaces.booking.v1.CreateBookingRequest.request_id", _, _) => {
            json!({ "format": "uuid" })
        }
        (_, "payment_method", Kind::String) => json!({ "maxLength": 255 }),
        _ => return None,
    };
    Some(rule)
}

/// The leading comment of the element at `path` in `file`, trimmed.
fn comments(file: &FileDescriptor, path: &[i32]) -> Option<String> {
    let info = file.file_descriptor_proto().source_code_info.as_ref()?;
    let location = info
        .location
        .iter()
        .find(|location| location.path == path)?;
    let text = location.leading_comments.as_deref()?;
    let text = text
        .lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_reflect::DescriptorPool;

    #[test]
    fn the_identity_document_describes_routes_parameters_and_required_fields() {
        let pool = DescriptorPool::decode(estospaces_proto::FILE_DESCRIPTOR_SET).expect("decodes");
        let doc = document(&Catalog::new(pool).expect("servable"));

        assert_eq!(doc["openapi"], "3.1.0");
        let get_user = &doc["paths"]["/v1/users/{user}"]["get"];
        assert_eq!(get_user["operationId"], "IdentityService_GetUser");
        assert_eq!(get_user["parameters"][0]["name"], "user");
        assert_eq!(get_user["parameters"][0]["in"], "path");
        assert_eq!(get_user["security"], json!([{ "bearer": [] }]));
        assert_eq!(get_user["summary"], "Returns one account.");

        let register = &doc["paths"]["/v1/users:register"]["post"];
        assert!(register["responses"]["201"].is_object(), "declared 201");
        assert_eq!(
            register["security"],
            json!([{}, { "bearer": [] }]),
            "public"
        );

        let request = &doc["components"]["schemas"]["estospaces.identity.v1.RegisterUserRequest"];
        assert_eq!(request["required"], json!(["email", "password"]));
        assert_eq!(request["properties"]["password"]["writeOnly"], true);
        let user = &doc["components"]["schemas"]["estospaces.identity.v1.User"];
        assert_eq!(user["properties"]["createTime"]["readOnly"], true);
        assert_eq!(user["properties"]["createTime"]["format"], "date-time");
    }

    fn platform_document() -> (Catalog, Value) {
        let pool = DescriptorPool::decode(estospaces_proto::FILE_DESCRIPTOR_SET).expect("decodes");
        let catalog = Catalog::new(pool).expect("servable");
        let doc = document(&catalog);
        (catalog, doc)
    }

    #[test]
    fn every_route_is_one_operation_at_its_own_path_with_every_path_parameter_declared() {
        let (catalog, doc) = platform_document();

        let mut operations = BTreeSet::new();
        let mut operation_ids = BTreeSet::new();
        let mut shapes = BTreeMap::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            // OpenAPI forbids two paths that differ only in their parameters' names.
            let shape: String = path
                .split('{')
                .map(|part| part.split_once('}').map_or(part, |(_, rest)| rest))
                .collect::<Vec<_>>()
                .join("{}");
            if let Some(other) = shapes.insert(shape, path.clone()) {
                panic!("{path} and {other} are the same path");
            }
            let in_path: BTreeSet<&str> = path
                .split('{')
                .skip(1)
                .filter_map(|part| part.split_once('}').map(|(name, _)| name))
                .collect();
            for (method, operation) in item.as_object().expect("path item") {
                assert!(operations.insert((method.clone(), path.clone())));
                let id = operation["operationId"].as_str().expect("an operationId");
                assert!(operation_ids.insert(id.to_owned()), "{id} twice");
                let declared: BTreeSet<&str> = operation["parameters"]
                    .as_array()
                    .expect("parameters")
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                assert_eq!(declared, in_path, "{method} {path}");
                assert_eq!(
                    operation["responses"]["default"]["$ref"], "#/components/responses/Error",
                    "{method} {path}"
                );
            }
        }
        let routes = catalog
            .routes()
            .iter()
            .filter(|route| !route.rpc.descriptor.is_client_streaming())
            .count();
        assert_eq!(operations.len(), routes, "one operation per REST route");
        let with_routes: BTreeSet<&str> = catalog
            .routes()
            .iter()
            .map(|route| route.rpc.descriptor.full_name())
            .collect();
        let unary_and_server_streams = catalog
            .rpcs()
            .filter(|rpc| !rpc.descriptor.is_client_streaming())
            .count();
        assert_eq!(
            with_routes.len(),
            unary_and_server_streams,
            "every RPC REST can call has a route"
        );

        assert!(doc["paths"]["/v1/users/{user}/profile"]["get"].is_object());
        assert!(doc["paths"]["/v1/users/{user}/hostProfile"]["get"].is_object());
        let reviews = &doc["paths"]["/v1/properties/{property}/reviews"]["get"];
        assert_eq!(reviews["parameters"][0]["name"], "property");
        assert_eq!(reviews["parameters"][0]["in"], "path");
    }

    #[test]
    fn http_bodies_have_their_real_media_types_and_errors_are_statuses() {
        let (_, doc) = platform_document();
        let paths = doc["paths"].as_object().expect("paths");
        let feed = paths
            .iter()
            .flat_map(|(_, item)| item.as_object().expect("item").values())
            .find(|op| op["operationId"] == "BookingService_GetListingCalendarFeed")
            .expect("the calendar feed");
        let content = feed["responses"]["200"]["content"]
            .as_object()
            .expect("content");
        assert_eq!(content.keys().collect::<Vec<_>>(), ["text/calendar"]);

        let upload = &doc["paths"]["/v1/media:upload"]["post"]["requestBody"]["content"];
        assert_eq!(upload["image/png"]["schema"]["format"], "binary");
        assert!(upload.get("application/json").is_none());

        let status = &doc["components"]["schemas"]["Status"];
        assert_eq!(status["required"], json!(["code", "message", "details"]));
        assert_eq!(
            status["properties"]["details"]["items"]["required"],
            json!(["@type"])
        );
        let not_found = &doc["components"]["responses"]["NotFound"];
        assert_eq!(
            not_found["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Status"
        );
    }
}
