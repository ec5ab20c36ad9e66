//! REST ⇄ protobuf: building the request message from the path, the query string and the JSON
//! body, and rendering the response message as canonical proto3 JSON.
//!
//! The request is assembled as one JSON object and parsed once with unknown fields denied, so the
//! JSON parser's error names any field the message does not have. Path variables and query
//! parameters are converted to the JSON type their field expects before they are inserted.

use estospaces_status::{ApiError, FieldViolation};
use percent_encoding::percent_decode_str;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, SerializeOptions,
    Value,
};
use serde_json::{Map, Value as Json};

use crate::catalog::{BodyBinding, Route, is_http_body};
use crate::error::DOMAIN;

/// The field PATCH fills from the body's fields when the caller does not send it (AIP-134).
const UPDATE_MASK: &str = "update_mask";

/// Builds the request message for `route` from the HTTP request's parts.
pub fn request_message(
    route: &Route,
    http_method: &http::Method,
    bindings: &[(String, String)],
    query: Option<&str>,
    content_type: Option<&str>,
    body: &bytes::Bytes,
) -> Result<DynamicMessage, ApiError> {
    let input = route.rpc.descriptor.input();
    let raw_body = match &route.body {
        BodyBinding::Field(field) if is_http_body(field) => Some(field),
        _ => None,
    };
    let body_json = match &route.body {
        BodyBinding::None => None,
        BodyBinding::Field(_) if raw_body.is_some() => None,
        BodyBinding::Whole | BodyBinding::Field(_) if body.iter().all(u8::is_ascii_whitespace) => {
            None
        }
        BodyBinding::Whole | BodyBinding::Field(_) => Some(
            serde_json::from_slice::<Json>(body)
                .map_err(|err| bad_request("body", format!("the body is not valid JSON: {err}")))?,
        ),
    };

    // Paths relative to the body field, taken before the body is merged into the request.
    let mut update_mask = None;
    let mut root = Map::new();
    match (&route.body, body_json) {
        (BodyBinding::Whole, Some(Json::Object(object))) => root = object,
        (BodyBinding::Whole, Some(_)) => {
            return Err(bad_request("body", "the body must be a JSON object"));
        }
        (BodyBinding::Field(field), Some(value)) => {
            if *http_method == http::Method::PATCH
                && let (Kind::Message(message), Json::Object(object)) = (field.kind(), &value)
                && input
                    .get_field_by_name(UPDATE_MASK)
                    .is_some_and(|mask| is_field_mask(&mask))
            {
                let mut paths = Vec::new();
                collect_paths(&message, object, "", &mut paths);
                update_mask = Some(paths);
            }
            root.insert(field.json_name().to_owned(), value);
        }
        _ => {}
    }

    for (field_path, value) in bindings {
        insert(&mut root, &input, field_path, value, Source::Path)?;
    }

    let mut mask_in_query = false;
    for (key, value) in query_pairs(query.unwrap_or_default()) {
        let violation = |why: &str| bad_request(&key, format!("query parameter `{key}` {why}"));
        if matches!(route.body, BodyBinding::Whole) {
            return Err(violation(
                "is not accepted: every field comes from the body",
            ));
        }
        let top = key.split('.').next().unwrap_or_default();
        let bound_elsewhere = bindings
            .iter()
            .any(|(path, _)| path.split('.').next() == Some(top))
            || matches!(&route.body, BodyBinding::Field(f) if f.name() == top || f.json_name() == top);
        if bound_elsewhere {
            return Err(violation("is already set by the path or the body"));
        }
        mask_in_query |= key == UPDATE_MASK || key == "updateMask";
        insert(&mut root, &input, &key, &value, Source::Query)?;
    }

    let options = DeserializeOptions::new().deny_unknown_fields(true);
    let mut message =
        DynamicMessage::deserialize_with_options(input.clone(), Json::Object(root), &options)
            .map_err(|err| {
                let err = err.to_string();
                match unknown_field_in(&err) {
                    Some(field) => bad_request(field, format!("unknown field `{field}`")),
                    None => bad_request("body", err),
                }
            })?;

    if let Some(field) = raw_body
        && let Kind::Message(http_body) = field.kind()
    {
        let mut raw = DynamicMessage::new(http_body);
        raw.set_field_by_name(
            "content_type",
            Value::String(content_type.unwrap_or_default().to_owned()),
        );
        raw.set_field_by_name("data", Value::Bytes(body.clone()));
        message.set_field(field, Value::Message(raw));
    }

    if let Some(paths) = update_mask.filter(|_| !mask_in_query)
        && let Some(mask_field) = input.get_field_by_name(UPDATE_MASK)
        && let Kind::Message(mask_type) = mask_field.kind()
    {
        let mut mask = DynamicMessage::new(mask_type);
        mask.set_field_by_name(
            "paths",
            Value::List(paths.into_iter().map(Value::String).collect()),
        );
        message.set_field(&mask_field, Value::Message(mask));
    }
    Ok(message)
}

/// The response message, or its `response_body` field, as proto3 JSON with every field present.
///
/// A message (the whole response, or a `response_body` field holding one) is written straight
/// to bytes; only other `response_body` fields go through a `serde_json::Value` tree.
pub fn response_json(route: &Route, message: &DynamicMessage) -> Result<Vec<u8>, ApiError> {
    let options = SerializeOptions::new().skip_default_fields(false);
    let direct = match &route.response_body {
        None => Some(std::borrow::Cow::Borrowed(message)),
        Some(field) if message.has_field(field) => match message.get_field(field) {
            std::borrow::Cow::Borrowed(Value::Message(inner)) => {
                Some(std::borrow::Cow::Borrowed(inner))
            }
            std::borrow::Cow::Owned(Value::Message(inner)) => Some(std::borrow::Cow::Owned(inner)),
            _ => None,
        },
        Some(_) => None,
    };
    if let Some(message) = direct {
        let mut out = Vec::with_capacity(256);
        message
            .serialize_with_options(&mut serde_json::Serializer::new(&mut out), &options)
            .map_err(|err| ApiError::internal(DOMAIN, err))?;
        return Ok(out);
    }
    let json = message_json(message)?;
    let json = match &route.response_body {
        Some(field) => match json {
            Json::Object(mut object) => object.remove(field.json_name()).unwrap_or(Json::Null),
            other => other,
        },
        None => json,
    };
    serde_json::to_vec(&json).map_err(|err| ApiError::internal(DOMAIN, err))
}

/// A message as proto3 JSON: lowerCamel names, default values included so clients see every field.
pub fn message_json(message: &DynamicMessage) -> Result<Json, ApiError> {
    let options = SerializeOptions::new().skip_default_fields(false);
    message
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|err| ApiError::internal(DOMAIN, err))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Path,
    Query,
}

/// Sets `path` (dotted; proto or JSON names) in the JSON object to `raw`, converted to the JSON
/// type the field expects. Repeated fields collect values into an array.
fn insert(
    root: &mut Map<String, Json>,
    message: &MessageDescriptor,
    path: &str,
    raw: &str,
    source: Source,
) -> Result<(), ApiError> {
    let what = match source {
        Source::Path => "path variable",
        Source::Query => "query parameter",
    };
    let unknown = || bad_request(path, format!("unknown {what} `{path}`"));
    let mut object = root;
    let mut message = message.clone();
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let field = field_named(&message, part).ok_or_else(unknown)?;
        // Reuse the key the body already used for this field, so one field never has two keys.
        let key = [field.json_name(), field.name()]
            .into_iter()
            .find(|key| object.contains_key(*key))
            .unwrap_or(field.json_name())
            .to_owned();
        if parts.peek().is_some() {
            let Kind::Message(next) = field.kind() else {
                return Err(unknown());
            };
            if field.is_list() || field.is_map() || is_well_known(&next) {
                return Err(unknown());
            }
            let entry = object
                .entry(key)
                .or_insert_with(|| Json::Object(Map::new()));
            if !entry.is_object() {
                *entry = Json::Object(Map::new());
            }
            object = entry.as_object_mut().ok_or_else(unknown)?;
            message = next;
            continue;
        }
        if field.is_map() || matches!(field.kind(), Kind::Message(ref m) if !is_well_known(m)) {
            return Err(bad_request(
                path,
                format!("{what} `{path}` names a message; name one of its fields instead"),
            ));
        }
        let value = scalar_json(&field, raw)
            .map_err(|why| bad_request(path, format!("{what} `{path}`: {why}")))?;
        if field.is_list() {
            match object.entry(key).or_insert_with(|| Json::Array(Vec::new())) {
                Json::Array(items) => items.push(value),
                slot => *slot = Json::Array(vec![value]),
            }
        } else {
            object.insert(key, value);
        }
    }
    Ok(())
}

fn field_named(message: &MessageDescriptor, name: &str) -> Option<FieldDescriptor> {
    message
        .get_field_by_name(name)
        .or_else(|| message.get_field_by_json_name(name))
}

/// The JSON value proto3 JSON expects for one text value of `field`.
fn scalar_json(field: &FieldDescriptor, raw: &str) -> Result<Json, String> {
    let invalid = |kind: &str| format!("`{raw}` is not a valid {kind}");
    Ok(match field.kind() {
        Kind::Bool => match raw {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => return Err(invalid("boolean (true or false)")),
        },
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Json::from(raw.parse::<i32>().map_err(|_| invalid("32-bit integer"))?)
        }
        Kind::Uint32 | Kind::Fixed32 => Json::from(
            raw.parse::<u32>()
                .map_err(|_| invalid("unsigned 32-bit integer"))?,
        ),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            raw.parse::<i64>().map_err(|_| invalid("64-bit integer"))?;
            Json::String(raw.to_owned())
        }
        Kind::Uint64 | Kind::Fixed64 => {
            raw.parse::<u64>()
                .map_err(|_| invalid("unsigned 64-bit integer"))?;
            Json::String(raw.to_owned())
        }
        Kind::Float | Kind::Double => match raw {
            "NaN" | "Infinity" | "-Infinity" => Json::String(raw.to_owned()),
            _ => {
                let number = raw.parse::<f64>().map_err(|_| invalid("number"))?;
                serde_json::Number::from_f64(number)
                    .map(Json::Number)
                    .ok_or_else(|| invalid("number"))?
            }
        },
        Kind::Enum(enumeration) => {
            if enumeration.get_value_by_name(raw).is_some() {
                Json::String(raw.to_owned())
            } else if let Ok(number) = raw.parse::<i32>()
                && enumeration.get_value(number).is_some()
            {
                Json::from(number)
            } else {
                return Err(format!(
                    "`{raw}` is not a value of {}",
                    enumeration.full_name()
                ));
            }
        }
        // Strings, bytes (base64) and well-known types written as strings (Timestamp, Duration,
        // FieldMask) all travel as JSON strings.
        Kind::String | Kind::Bytes | Kind::Message(_) => Json::String(raw.to_owned()),
    })
}

/// Messages whose JSON form is a scalar and so may come from a path or query value.
fn is_well_known(message: &MessageDescriptor) -> bool {
    message.full_name().starts_with("google.protobuf.")
}

fn is_field_mask(field: &FieldDescriptor) -> bool {
    matches!(field.kind(), Kind::Message(m) if m.full_name() == "google.protobuf.FieldMask")
}

/// The proto field paths present in a JSON object, descending into nested messages (not maps or
/// well-known types, which are replaced whole).
fn collect_paths(
    message: &MessageDescriptor,
    object: &Map<String, Json>,
    prefix: &str,
    out: &mut Vec<String>,
) {
    for (key, value) in object {
        let Some(field) = field_named(message, key) else {
            // Unknown: the parser rejects it with a clear message.
            continue;
        };
        let path = format!("{prefix}{}", field.name());
        match (field.kind(), value) {
            (Kind::Message(nested), Json::Object(inner))
                if !field.is_map() && !field.is_list() && !is_well_known(&nested) =>
            {
                collect_paths(&nested, inner, &format!("{path}."), out);
            }
            _ => out.push(path),
        }
    }
}

/// Query pairs, percent-decoded with `+` as a space.
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| {
                percent_decode_str(&text.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(key), decode(value))
        })
}

/// The field prost-reflect's JSON parser refused as unknown (`unrecognized field name 'x'`).
fn unknown_field_in(error: &str) -> Option<&str> {
    error
        .split_once("unrecognized field name '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(field, _)| field)
}

fn bad_request(field: &str, description: impl Into<String>) -> ApiError {
    let description = description.into();
    ApiError::invalid_argument(
        DOMAIN,
        vec![FieldViolation::new(field, description.clone())],
    )
    .with_metadata("description", description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_percent_escapes_and_plus_signs() {
        let pairs: Vec<_> = query_pairs("a=1&b=hello+world&c=%2Fx&flag&&d=").collect();
        assert_eq!(
            pairs,
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "hello world".to_owned()),
                ("c".to_owned(), "/x".to_owned()),
                ("flag".to_owned(), String::new()),
                ("d".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn parser_errors_name_the_unknown_field() {
        assert_eq!(
            unknown_field_in("unrecognized field name 'colour' at line 1 column 9"),
            Some("colour")
        );
        assert_eq!(unknown_field_in("expected a string"), None);
    }
}
