//! An OpenAPI 3.1 document generated from the same catalog the gateway serves, so the document
//! cannot drift from the routes.
//!
//! Path parameters are not repeated in request bodies, `(google.api.field_behavior) = REQUIRED`
//! fields are listed as required (OUTPUT_ONLY ones as read-only, INPUT_ONLY ones as write-only),
//! doc comments become descriptions and server streams are described with their media types.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::{
    ExtensionDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor,
};
use serde_json::{Map, Value, json};

use crate::catalog::{BodyBinding, Catalog, Route};

/// `google.api.FieldBehavior` values the document uses.
const REQUIRED: i32 = 2;
const OUTPUT_ONLY: i32 = 3;
const INPUT_ONLY: i32 = 4;

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
    for route in catalog.routes() {
        let operation = builder.operation(route, &mut operation_ids);
        paths
            .entry(route.template.openapi_path())
            .or_default()
            .insert(route.method.as_str().to_lowercase(), operation);
    }
    builder.drain();
    let mut schemas: Map<String, Value> = builder.schemas.into_iter().collect();
    schemas.insert("Status".to_owned(), status_schema());

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "EstoSpaces API",
            "version": "v1",
            "description": "REST/JSON transcoding of the EstoSpaces gRPC services. Every \
                operation is also callable over gRPC and grpc-web at its gRPC path.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
            },
        },
    })
}

/// A small page rendering the document with Redoc's standalone bundle.
pub const DOCS_PAGE: &str = r#"<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <title>EstoSpaces API</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="https://cdn.redoc.ly/redoc/latest/bundles/redoc.standalone.js"></script>
  </body>
</html>
"#;

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

        let path_fields: Vec<&str> = route.template.field_paths().collect();
        let mut parameters: Vec<Value> = path_fields
            .iter()
            .map(|path| {
                let field = crate::catalog::resolve_path(&input, path);
                let mut parameter = json!({
                    "name": path,
                    "in": "path",
                    "required": true,
                    "schema": field.map_or(json!({ "type": "string" }), |f| self.field_schema(&f)),
                });
                if let Some(prefix) = route.template.openapi_prefix(path) {
                    parameter["description"] = json!(format!(
                        "The last segment of `{path}`, which is `{prefix}{{{path}}}`."
                    ));
                }
                parameter
            })
            .collect();
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
                    json!({
                        "required": true,
                        "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } },
                    })
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
            json!({ "*/*": { "schema": { "type": "string", "format": "binary" } } })
        } else {
            json!({ "application/json": { "schema": response_schema } })
        };
        let mut operation = json!({
            "operationId": operation_id,
            "tags": [service.name()],
            "summary": summary,
            "description": description,
            "parameters": parameters,
            "responses": {
                route.rpc.success_status.as_u16().to_string(): {
                    "description": "Success",
                    "content": content,
                },
                "default": {
                    "description": "A google.rpc.Status",
                    "content": {
                        "application/json": { "schema": { "$ref": "#/components/schemas/Status" } },
                    },
                },
            },
            "security": if route.rpc.public { json!([]) } else { json!([{ "bearer": [] }]) },
        });
        if let Some(body) = request_body {
            operation["requestBody"] = body;
        }
        operation
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
                        self.query_parameters(&nested, &format!("{name}."), excluded, depth + 1, out);
                    }
                }
                _ if field.is_map() => {}
                _ => out.push(json!({
                    "name": name,
                    "in": "query",
                    "required": false,
                    "description": comments(&message.parent_file(), field.path()).unwrap_or_default(),
                    "schema": self.field_schema(&field),
                    "explode": true,
                })),
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
            properties.insert(field.json_name().to_owned(), schema);
        }
        let mut schema = json!({ "type": "object", "properties": properties });
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
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                json!({ "type": "integer", "format": "int32" })
            }
            Kind::Uint32 | Kind::Fixed32 => json!({ "type": "integer", "format": "uint32" }),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                json!({ "type": "string", "format": "int64" })
            }
            Kind::Uint64 | Kind::Fixed64 => json!({ "type": "string", "format": "uint64" }),
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

fn is_well_known(message: &MessageDescriptor) -> bool {
    message.full_name().starts_with("google.protobuf.")
}

/// The JSON form of the well-known types, which is not their message shape.
fn well_known_schema(message: &MessageDescriptor) -> Option<Value> {
    Some(match message.full_name() {
        "google.protobuf.Timestamp" => json!({ "type": "string", "format": "date-time" }),
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
            "code": { "type": "integer", "format": "int32" },
            "message": { "type": "string" },
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": { "@type": { "type": "string" } },
                    "additionalProperties": true,
                },
            },
        },
        "required": ["code", "message", "details"],
    })
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
        let get_user = &doc["paths"]["/v1/users/{name}"]["get"];
        assert_eq!(get_user["operationId"], "IdentityService_GetUser");
        assert_eq!(get_user["parameters"][0]["name"], "name");
        assert_eq!(get_user["parameters"][0]["in"], "path");
        assert_eq!(get_user["security"], json!([{ "bearer": [] }]));
        assert_eq!(get_user["summary"], "Returns one account.");

        let register = &doc["paths"]["/v1/users:register"]["post"];
        assert!(register["responses"]["201"].is_object(), "declared 201");
        assert_eq!(register["security"], json!([]), "public");

        let request = &doc["components"]["schemas"]["estospaces.identity.v1.RegisterUserRequest"];
        assert_eq!(request["required"], json!(["email", "password"]));
        assert_eq!(request["properties"]["password"]["writeOnly"], true);
        let user = &doc["components"]["schemas"]["estospaces.identity.v1.User"];
        assert_eq!(user["properties"]["createTime"]["readOnly"], true);
        assert_eq!(user["properties"]["createTime"]["format"], "date-time");
    }
}
