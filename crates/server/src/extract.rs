//! Request extractors that turn every kind of bad input into problem details
//! naming the field: JSON bodies, query strings, `If-Match` and cursors.
//!
//! Text that PostgreSQL cannot store is refused here, at the edge, for every
//! field: a `text` column there rejects U+0000 (SQLite would keep it), so a
//! NUL reaching the store would be a 500 on one database and stored data on
//! the other. [`parse_json`] walks the parsed document, [`refuse_nul_in_address`]
//! checks every path and query string, and the web forms and the CSV import
//! check their fields with [`contains_unstorable_text`].

use crate::problem::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use roundtable_domain::ValidationErrors;
use roundtable_store::{Listing, PageRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A JSON body, parsed with the path of any bad value kept for the error.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|media_type| {
                let media_type = media_type.trim().to_ascii_lowercase();
                media_type == "application/json" || media_type.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest(format!("could not read the body: {rejection}"))
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, reporting syntax errors as 400 and wrong or missing values as
/// 422 with the field's path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first, so a truncated document is 400 whatever its first value.
    if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(ApiError::BadRequest(format!(
            "the body is not valid JSON: {error}"
        )));
    }
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    // A NUL can only hide in a string escape (`\u0000`); skip the walk when
    // the body has none.
    if bytes
        .windows(6)
        .any(|window| window.eq_ignore_ascii_case(b"\\u0000"))
    {
        let document: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| {
            ApiError::BadRequest(format!("the body is not valid JSON: {error}"))
        })?;
        let mut errors = ValidationErrors::default();
        unstorable_strings(&document, "", &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                ApiError::Validation(field_error(&path, &message))
            }
            _ => ApiError::BadRequest(format!("the body is not valid JSON: {inner}")),
        }
    })
}

/// The message for a field holding text PostgreSQL cannot store.
pub const UNSTORABLE_TEXT: &str = "must not contain the NUL character (U+0000)";

/// Whether `text` holds a character no database text column accepts (NUL).
pub fn contains_unstorable_text(text: &str) -> bool {
    text.contains('\0')
}

/// Records the path (`title`, `obligations[1].text`) of every string, or
/// object key, in `value` that holds a NUL.
fn unstorable_strings(value: &serde_json::Value, path: &str, errors: &mut ValidationErrors) {
    match value {
        serde_json::Value::String(text) if contains_unstorable_text(text) => {
            errors.push(if path.is_empty() { "body" } else { path }, UNSTORABLE_TEXT);
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                unstorable_strings(item, &format!("{path}[{index}]"), errors);
            }
        }
        serde_json::Value::Object(fields) => {
            for (name, item) in fields {
                let field = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                if contains_unstorable_text(name) {
                    errors.push(field.replace('\0', "\\u0000"), UNSTORABLE_TEXT);
                } else {
                    unstorable_strings(item, &field, errors);
                }
            }
        }
        _ => {}
    }
}

/// Refuses, with 422 naming the parameter, any request whose path or query
/// string decodes to a NUL: a path segment or query parameter may become a
/// search term or a stored value, and [`ApiQuery`], axum's `Query` and `Path`
/// (used by the web pages) would all pass it on.
pub async fn refuse_nul_in_address(
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = request.uri();
    if uri.path().contains("%00") {
        return ApiError::invalid("path", UNSTORABLE_TEXT).into_response();
    }
    if let Some(query) = uri.query()
        && query.contains("%00")
    {
        let mut errors = ValidationErrors::default();
        for (name, value) in form_urlencoded_parse(query.as_bytes()) {
            if contains_unstorable_text(&name) {
                errors.push("query", UNSTORABLE_TEXT);
            } else if contains_unstorable_text(&value) {
                errors.push(name.into_owned(), UNSTORABLE_TEXT);
            }
        }
        if !errors.is_empty() {
            return ApiError::Validation(errors).into_response();
        }
    }
    next.run(request).await
}

/// Parses a query string with the same field-naming errors as bodies.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        ApiError::Validation(field_error(&path, &message))
    })
}

fn form_urlencoded_parse(input: &[u8]) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(input)
}

/// serde names a missing or unknown field in the message, at the parent's path.
fn field_error(path: &str, message: &str) -> ValidationErrors {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match (named, path) {
        (Some(name), "." | "") => name.to_owned(),
        // For unknown fields the path already ends at the field itself.
        (Some(name), path) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_owned()
        }
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, ".") => String::new(),
        (None, path) => path.to_owned(),
    };
    let message = if message.starts_with("missing field") {
        "is required".to_owned()
    } else if message.starts_with("unknown field") {
        "is not a known field".to_owned()
    } else {
        message.to_owned()
    };
    ValidationErrors::single(
        if field.is_empty() {
            "body"
        } else {
            field.as_str()
        },
        message,
    )
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string, with errors naming the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// The version a client expects to change, from `If-Match: "N"`.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(header::IF_MATCH) {
            None => Err(ApiError::PreconditionRequired),
            Some(value) => parse_etag(value.to_str().unwrap_or_default())
                .map(IfMatch)
                .ok_or_else(|| {
                    ApiError::invalid("If-Match", "must be the ETag of the record, e.g. \"3\"")
                }),
        }
    }
}

/// An optional `If-Match`, for deletes.
#[derive(Debug, Clone, Copy)]
pub struct OptionalIfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalIfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::IF_MATCH) {
            IfMatch::from_request_parts(parts, state)
                .await
                .map(|IfMatch(version)| OptionalIfMatch(Some(version)))
        } else {
            Ok(OptionalIfMatch(None))
        }
    }
}

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

fn parse_etag(value: &str) -> Option<i64> {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    let value = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(value);
    value.parse().ok().filter(|version| *version > 0)
}

/// `?limit=N&cursor=C`: the page a list call asks for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items to return, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn to_page(&self) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=PageRequest::MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid("limit", "must be between 1 and 200"));
        }
        let after = match &self.cursor {
            None => None,
            Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
                ApiError::invalid("cursor", "is not a cursor this server issued")
            })?),
        };
        Ok(PageRequest { after, limit })
    }
}

pub(crate) fn encode_cursor(after: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{after}"))
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("after:")?.parse().ok()
}

/// A page of a list: the items and, when more follow, the cursor for the next page.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Each kind of page is its own schema, named after its items
/// (`DepartmentViewPage`, …): a derived schema would give every page one name,
/// `Page`, and the document would describe every list with one item type.
impl<T: ToSchema> utoipa::PartialSchema for Page<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .description(Some(
                "A page of a list: the items and, when more follow, the cursor for the next page.",
            ))
            .property(
                "items",
                ArrayBuilder::new().items(utoipa::openapi::Ref::from_schema_name(T::name())),
            )
            .required("items")
            .property(
                "next_cursor",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(
                        "Pass as `cursor` to get the next page; null on the last page.",
                    )),
            )
            .into()
    }
}

impl<T: ToSchema> ToSchema for Page<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Owned(format!("{}Page", T::name()))
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

impl<T> Page<T> {
    pub fn from_listing<S>(listing: Listing<S>, view: impl Fn(S) -> T) -> Self {
        Page {
            next_cursor: listing.next_after.map(encode_cursor),
            items: listing.items.into_iter().map(view).collect(),
        }
    }
}

/// For PATCH bodies: tells an absent field (`None`, keep) from an explicit
/// `null` (`Some(None)`, clear).
pub fn explicit_null<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        count: i64,
    }

    fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation(errors) => errors.0.into_iter().map(|error| error.field).collect(),
            other => vec![format!("not a validation error: {other}")],
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        let wrong_type = parse_json::<Sample>(br#"{"name": "x", "count": "many"}"#);
        assert_eq!(wrong_type.err().map(fields), Some(vec!["count".to_owned()]));
        let missing = parse_json::<Sample>(br#"{"name": "x"}"#);
        assert_eq!(missing.err().map(fields), Some(vec!["count".to_owned()]));
        let unknown = parse_json::<Sample>(br#"{"name": "x", "count": 1, "colour": 2}"#);
        assert_eq!(unknown.err().map(fields), Some(vec!["colour".to_owned()]));
        assert!(matches!(
            parse_json::<Sample>(b"{"),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("garbage!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("before:3")), None);
    }

    #[test]
    fn etags_parse_strong_weak_and_bare() {
        assert_eq!(parse_etag("\"3\""), Some(3));
        assert_eq!(parse_etag("W/\"3\""), Some(3));
        assert_eq!(parse_etag("3"), Some(3));
        assert_eq!(parse_etag("*"), None);
        assert_eq!(parse_etag("\"0\""), None);
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let error = parse_query::<PageQuery>("limit=lots").err().map(fields);
        assert_eq!(error, Some(vec!["limit".to_owned()]));
    }
}

/// The `{id}` of a record's address, as a positive integer.
#[derive(Debug, Clone, Copy)]
pub struct RecordId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for RecordId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::invalid("id", "must be a record id"))?;
        parse_record_id("id", &raw).map(RecordId)
    }
}

/// A record id from the path segment `text`; anything but a positive whole
/// number is a validation error naming `field`.
pub fn parse_record_id(field: &str, text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid(field, "must be a positive whole number"))
}

/// A JSON response carrying the record's version as its ETag.
pub fn with_etag<T: Serialize>(
    status: axum::http::StatusCode,
    version: i64,
    body: T,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// For PATCH bodies: a present field parsed into `Change::Set` (its errors
/// recorded), an absent one `Change::Keep`; the application layer's own.
pub use roundtable_app::input::parse_change;
