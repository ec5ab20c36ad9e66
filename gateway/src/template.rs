//! `google.api.http` path templates: parsing them and matching request paths against them.
//!
//! The grammar (from `google/api/http.proto`):
//!
//! ```text
//! Template = "/" Segments [ Verb ] ;
//! Segments = Segment { "/" Segment } ;
//! Segment  = "*" | "**" | LITERAL | Variable ;
//! Variable = "{" FieldPath [ "=" Segments ] "}" ;
//! FieldPath = IDENT { "." IDENT } ;
//! Verb     = ":" LITERAL ;
//! ```
//!
//! `*` matches one path segment, `**` the rest of the path (zero or more segments, so it must come
//! last); a variable without `= Segments` is `*`. A template matches a path segment by segment;
//! a candidate route that does not fit is refused without allocating.

use percent_encoding::percent_decode_str;

/// A compiled path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    text: String,
    segments: Vec<Segment>,
    variables: Vec<Variable>,
    verb: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `*`: exactly one segment.
    Single,
    /// `**`: every remaining segment.
    Rest,
}

/// A `{field.path=...}` capture: segments `start..end` of the template, `end` being `None` when
/// the capture ends in `**` and takes the rest of the path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Variable {
    field_path: String,
    start: usize,
    end: Option<usize>,
}

/// A template as an OpenAPI path: `/v1/users/{user}/profile` and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenApiPath {
    pub path: String,
    pub parameters: Vec<OpenApiParameter>,
}

/// One path parameter of an [`OpenApiPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenApiParameter {
    /// `user` for the `*` after `users/`.
    pub name: String,
    /// The field the segment belongs to; `None` for a `*` outside any variable.
    pub field_path: Option<String>,
    /// The parameter is the field's whole value (`{share_token}`, `{path=**}`), not one segment
    /// of a resource name.
    pub whole_field: bool,
    /// `**`: the rest of the path, slashes included.
    pub rest: bool,
}

/// The singular of a collection segment (`users` → `user`, `properties` → `property`), or the
/// segment itself when it does not end in `s` (`media`); `None` when it is not an identifier.
pub fn singular(collection: &str) -> Option<String> {
    if collection.is_empty() || !collection.chars().all(is_ident_char) {
        return None;
    }
    let word = if let Some(stem) = collection.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = collection.strip_suffix("lves") {
        format!("{stem}lf")
    } else if ["sses", "shes", "ches", "xes", "zes"]
        .iter()
        .any(|suffix| collection.ends_with(suffix))
    {
        collection[..collection.len() - 2].to_owned()
    } else if let Some(stem) = collection.strip_suffix('s')
        && !stem.ends_with('s')
    {
        stem.to_owned()
    } else {
        collection.to_owned()
    };
    (!word.is_empty()).then_some(word)
}

/// Why a template does not follow the grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path template `{template}`: {reason}")]
pub struct TemplateError {
    template: String,
    reason: &'static str,
}

impl PathTemplate {
    /// Compiles `text`, such as `/v1/{name=users/*}:undelete`.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let fail = |reason| TemplateError {
            template: text.to_owned(),
            reason,
        };
        let rest = text.strip_prefix('/').ok_or(fail("must start with `/`"))?;
        let (body, verb) = split_verb(rest);
        if verb.is_some_and(str::is_empty) {
            return Err(fail("empty verb"));
        }
        if verb.is_some_and(|verb| verb.contains(['/', '{', '}', '*'])) {
            return Err(fail("a verb is a literal after the last segment"));
        }

        let mut segments = Vec::new();
        let mut variables = Vec::new();
        let mut chars = body;
        loop {
            if let Some(after) = chars.strip_prefix('{') {
                let close = after.find('}').ok_or(fail("unclosed `{`"))?;
                let inner = &after[..close];
                if inner.contains('{') {
                    return Err(fail("nested variables"));
                }
                let (field_path, pattern) = inner.split_once('=').unwrap_or((inner, "*"));
                if field_path.is_empty()
                    || !field_path
                        .split('.')
                        .all(|ident| !ident.is_empty() && ident.chars().all(is_ident_char))
                {
                    return Err(fail(
                        "a variable names a field path such as `name` or `a.b`",
                    ));
                }
                if variables
                    .iter()
                    .any(|variable: &Variable| variable.field_path == field_path)
                {
                    return Err(fail("a field is bound twice"));
                }
                let start = segments.len();
                for part in pattern.split('/') {
                    segments.push(parse_segment(part).ok_or(fail("bad segment in a variable"))?);
                }
                let end = (segments.last() != Some(&Segment::Rest)).then_some(segments.len());
                variables.push(Variable {
                    field_path: field_path.to_owned(),
                    start,
                    end,
                });
                chars = &after[close + 1..];
            } else {
                let end = chars.find('/').unwrap_or(chars.len());
                let part = &chars[..end];
                if part.contains(['{', '}']) {
                    return Err(fail("a variable must span whole segments"));
                }
                segments.push(parse_segment(part).ok_or(fail("empty segment"))?);
                chars = &chars[end..];
            }
            match chars.strip_prefix('/') {
                Some(next) => chars = next,
                None if chars.is_empty() => break,
                None => return Err(fail("a variable must span whole segments")),
            }
        }
        if let Some(position) = segments.iter().position(|s| *s == Segment::Rest)
            && position + 1 != segments.len()
        {
            return Err(fail("`**` must be the last segment"));
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
            variables,
            verb: verb.map(str::to_owned),
        })
    }

    /// The template as written in the proto.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The field paths the template binds, in order.
    pub fn field_paths(&self) -> impl Iterator<Item = &str> {
        self.variables
            .iter()
            .map(|variable| variable.field_path.as_str())
    }

    /// How many literal segments it has: more literals make a route more specific.
    pub fn literal_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|segment| matches!(segment, Segment::Literal(_)))
            .count()
            + usize::from(self.verb.is_some())
    }

    /// The template in OpenAPI form: each `*` or `**` one path parameter, literals inline, so
    /// `/v1/{name=users/*/profile}` is `/v1/users/{user}/profile` and distinct templates stay
    /// distinct paths.
    pub fn openapi_path(&self) -> String {
        self.openapi().path
    }

    /// The OpenAPI path and its parameters, in order.
    ///
    /// A variable that is one `*` (`{share_token}`) or `**` (`{path=**}`) is one parameter named
    /// after its field, whose value is the field's. In a variable with literals each `*` is a
    /// parameter named after the collection before it (`users/*` → `user`, `properties/*` →
    /// `property`), or `<field>_<n>` when no literal precedes it; the field is the whole match,
    /// literals included.
    pub fn openapi(&self) -> OpenApiPath {
        let mut path = String::new();
        let mut parameters: Vec<OpenApiParameter> = Vec::new();
        for (index, segment) in self.segments.iter().enumerate() {
            path.push('/');
            let star = match segment {
                Segment::Literal(literal) => {
                    path.push_str(literal);
                    continue;
                }
                Segment::Single => false,
                Segment::Rest => true,
            };
            let variable = self
                .variables
                .iter()
                .find(|v| v.start <= index && v.end.is_none_or(|end| index < end));
            let previous = index.checked_sub(1).and_then(|i| match &self.segments[i] {
                Segment::Literal(literal) => Some(literal.as_str()),
                _ => None,
            });
            let (base, whole_field) = match variable {
                Some(v) if v.end.is_none_or(|end| end == v.start + 1) && v.start == index => {
                    (v.field_path.clone(), true)
                }
                Some(v) => {
                    let field = v.field_path.rsplit('.').next().unwrap_or_default();
                    let nth = self.segments[v.start..=index]
                        .iter()
                        .filter(|s| !matches!(s, Segment::Literal(_)))
                        .count();
                    let inside = previous.filter(|_| index > v.start);
                    (
                        inside
                            .and_then(singular)
                            .unwrap_or_else(|| format!("{field}_{nth}")),
                        false,
                    )
                }
                None => (format!("segment_{}", index + 1), false),
            };
            let mut name = base.clone();
            let mut n = 1;
            while parameters.iter().any(|p| p.name == name) {
                n += 1;
                name = format!("{base}_{n}");
            }
            path.push('{');
            path.push_str(&name);
            path.push('}');
            parameters.push(OpenApiParameter {
                name,
                field_path: variable.map(|v| v.field_path.clone()),
                whole_field,
                rest: star,
            });
        }
        if let Some(verb) = &self.verb {
            path.push(':');
            path.push_str(verb);
        }
        OpenApiPath { path, parameters }
    }

    /// The pattern a variable's field must have (`users/{user}/profile`), for variables with
    /// literals; `None` for a plain `{field}`.
    pub fn openapi_pattern(&self, field_path: &str) -> Option<String> {
        let variable = self.variables.iter().find(|v| v.field_path == field_path)?;
        let end = variable.end.unwrap_or(self.segments.len());
        if end == variable.start + 1 {
            return None;
        }
        let openapi = self.openapi();
        let mut parameters = openapi
            .parameters
            .iter()
            .filter(|p| p.field_path.as_deref() == Some(field_path));
        let parts: Vec<String> = self.segments[variable.start..end]
            .iter()
            .map(|segment| match segment {
                Segment::Literal(literal) => literal.clone(),
                _ => parameters
                    .next()
                    .map(|p| format!("{{{}}}", p.name))
                    .unwrap_or_default(),
            })
            .collect();
        Some(parts.join("/"))
    }

    /// Matches a request path (still percent-encoded, without the query) and returns each bound
    /// field path with its decoded value, or `None` when the path does not fit.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let path = path.strip_prefix('/')?;
        let path = match &self.verb {
            Some(verb) => path.strip_suffix(verb.as_str())?.strip_suffix(':')?,
            None => path,
        };
        // Most routes do not fit: find that out without allocating.
        if !self.fits(path) {
            return None;
        }
        let parts: Vec<&str> = path.split('/').collect();
        let bindings = self
            .variables
            .iter()
            .map(|variable| {
                let end = variable.end.unwrap_or(parts.len()).min(parts.len());
                let value = parts
                    .get(variable.start..end)
                    .unwrap_or_default()
                    .iter()
                    .map(|part| percent_decode_str(part).decode_utf8_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                (variable.field_path.clone(), value)
            })
            .collect();
        Some(bindings)
    }

    /// Whether `path` (without the leading `/` and the verb) has the template's shape: its
    /// literals in place, no empty segment where a `*` or `**` matches.
    fn fits(&self, path: &str) -> bool {
        let ends_in_rest = self.segments.last() == Some(&Segment::Rest);
        let fixed = self.segments.len() - usize::from(ends_in_rest);
        let mut parts = path.split('/');
        for segment in &self.segments[..fixed] {
            let Some(part) = parts.next() else {
                return false;
            };
            match segment {
                Segment::Literal(literal) if literal != part => return false,
                Segment::Single if part.is_empty() => return false,
                _ => {}
            }
        }
        if ends_in_rest {
            parts.all(|part| !part.is_empty())
        } else {
            parts.next().is_none()
        }
    }
}

impl std::fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Splits off the `:verb`: the first `:` outside braces, after the last `/`.
fn split_verb(rest: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    let mut last_colon = None;
    for (index, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '/' if depth == 0 => last_colon = None,
            ':' if depth == 0 && last_colon.is_none() => last_colon = Some(index),
            _ => {}
        }
    }
    match last_colon {
        Some(index) => (&rest[..index], Some(&rest[index + 1..])),
        None => (rest, None),
    }
}

fn parse_segment(part: &str) -> Option<Segment> {
    match part {
        "" => None,
        "*" => Some(Segment::Single),
        "**" => Some(Segment::Rest),
        literal if literal.contains('*') => None,
        literal => Some(Segment::Literal(literal.to_owned())),
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    type Bindings = Option<Vec<(String, String)>>;

    fn bindings(pairs: &[(&str, &str)]) -> Bindings {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn templates_match_the_paths_they_describe_and_only_those() {
        let table: &[(&str, &str, Bindings)] = &[
            ("/v1/users:register", "/v1/users:register", bindings(&[])),
            ("/v1/users:register", "/v1/users", None),
            ("/v1/users:register", "/v1/users:login", None),
            (
                "/v1/{name=users/*}",
                "/v1/users/42",
                bindings(&[("name", "users/42")]),
            ),
            ("/v1/{name=users/*}", "/v1/users/42/extra", None),
            ("/v1/{name=users/*}", "/v1/users/", None),
            ("/v1/{name=users/*}", "/v1/groups/42", None),
            ("/v1/{name}", "/v1/abc", bindings(&[("name", "abc")])),
            (
                "/v1/{name=users/*}:undelete",
                "/v1/users/7:undelete",
                bindings(&[("name", "users/7")]),
            ),
            (
                "/v1/{parent=users/*}/items/{item.id}",
                "/v1/users/1/items/9",
                bindings(&[("parent", "users/1"), ("item.id", "9")]),
            ),
            (
                "/v1/files/{path=**}",
                "/v1/files/a/b/c.txt",
                bindings(&[("path", "a/b/c.txt")]),
            ),
            (
                "/v1/files/{path=**}",
                "/v1/files",
                bindings(&[("path", "")]),
            ),
            ("/v1/*/things", "/v1/any/things", bindings(&[])),
            ("/v1/**", "/v1/x/y", bindings(&[])),
            ("/v1/**", "/v1/x//y", None),
            ("/v1/files/{path=**}", "/v1/files/", None),
            ("/v1/*/things", "/v1//things", None),
            ("/v1/*/things", "/v1/any/things/more", None),
            (
                "/v1/{name=users/*}",
                "/v1/users/a%20b%2Fc",
                bindings(&[("name", "users/a b/c")]),
            ),
            (
                "/.well-known/jwks.json",
                "/.well-known/jwks.json",
                bindings(&[]),
            ),
        ];
        for (template, path, expected) in table {
            let compiled = PathTemplate::parse(template).expect(template);
            assert_eq!(
                &compiled.matches(path),
                expected,
                "{template} against {path}"
            );
        }
    }

    #[test]
    fn malformed_templates_are_refused_with_a_reason() {
        for bad in [
            "v1/users",
            "/v1/{name",
            "/v1/{name=users/*",
            "/v1/**/tail",
            "/v1/{}",
            "/v1/{a.}",
            "/v1/x{name}",
            "/v1//users",
            "/v1/users:",
            "/v1/{name}/{name}",
            "/v1/us*rs",
        ] {
            assert!(PathTemplate::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn openapi_paths_name_each_variable_once() {
        let cases = [
            ("/v1/{name=users/*}", "/v1/users/{user}"),
            (
                "/v1/{parent=users/*}/items:batch",
                "/v1/users/{user}/items:batch",
            ),
            (
                "/v1/{name=users/*/items/*}",
                "/v1/users/{user}/items/{item}",
            ),
            ("/v1/{name=users/*/profile}", "/v1/users/{user}/profile"),
            (
                "/v1/{parent=properties/*}/reviews",
                "/v1/properties/{property}/reviews",
            ),
            ("/v1/{name=*/things/*}", "/v1/{name_1}/things/{thing}"),
            (
                "/v1/{name=agencies/*}:verify",
                "/v1/agencies/{agency}:verify",
            ),
            ("/v1/files/{path=**}", "/v1/files/{path}"),
            (
                "/v1/sharedWishlists/{share_token}",
                "/v1/sharedWishlists/{share_token}",
            ),
            (
                "/v1/{a=users/*}/{b=users/*}",
                "/v1/users/{user}/users/{user_2}",
            ),
            ("/v1/*/things", "/v1/{segment_2}/things"),
        ];
        for (template, openapi) in cases {
            let compiled = PathTemplate::parse(template).expect(template);
            assert_eq!(compiled.openapi_path(), openapi);
        }
    }

    #[test]
    fn openapi_paths_fill_the_template_they_came_from() {
        let template = PathTemplate::parse("/v1/{name=users/*/wishlists/*}:share").expect("ok");
        let openapi = template.openapi();
        assert_eq!(openapi.path, "/v1/users/{user}/wishlists/{wishlist}:share");
        assert!(openapi.parameters.iter().all(|p| !p.whole_field));
        assert_eq!(
            template.openapi_pattern("name").as_deref(),
            Some("users/{user}/wishlists/{wishlist}")
        );
        // The path a client builds from the parameters is one the template matches.
        assert_eq!(
            template.matches("/v1/users/u1/wishlists/w%2F2:share"),
            bindings(&[("name", "users/u1/wishlists/w/2")])
        );
        assert_eq!(singular("properties").as_deref(), Some("property"));
        assert_eq!(singular("wishlists").as_deref(), Some("wishlist"));
        assert_eq!(singular("addresses").as_deref(), Some("address"));
        assert_eq!(singular("media").as_deref(), Some("media"));
        assert_eq!(singular("shelves").as_deref(), Some("shelf"));
        assert_eq!(singular("a-b"), None);
    }
}
