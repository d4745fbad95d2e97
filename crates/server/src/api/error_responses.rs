//! The error responses of the OpenAPI document, completed in one place.
//!
//! Most errors a client can meet do not come from the handler it called but
//! from layers every request passes: [`crate::auth::resolve_actor`] refuses a
//! bad token (401) or one without the needed scope (403) on any route; the
//! extractors refuse a body that is not JSON (415) or not well formed (400),
//! bad fields, parameters and `If-Match` values (422), a missing `If-Match`
//! (428); the idempotency middleware judges the `Idempotency-Key` of every
//! POST (409, 422); the body limit (413) and the timeout (408) apply to
//! everything, and so do the database being unreachable (503) and our own bugs
//! (500). Listing these in 140 annotations by hand would drift the day a layer
//! changes, so [`complete_error_responses`] adds them to every operation from
//! facts the document itself holds (its method, path parameters, request body
//! and `If-Match` header), leaving the statuses only a handler knows (a 409 for
//! a duplicate name, a 429 for sign-in throttling) to its annotation.
//!
//! Every error leaves as RFC 9457 problem details with the media type
//! `application/problem+json` ([`crate::problem`]), so every 4xx and 5xx
//! response is documented with that media type alone, and the `Problem` schema.

use crate::problem::PROBLEM_CONTENT_TYPE;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{
    Content, OpenApi, Ref, RefOr, Required, Response, Type, header::Header, schema::ObjectBuilder,
};

/// Adds to every operation of `document` the error statuses it can answer and
/// documents every error response as `application/problem+json` with the
/// `Problem` schema.
pub fn complete_error_responses(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        let operations = [
            (Method::Get, item.get.as_mut()),
            (Method::Put, item.put.as_mut()),
            (Method::Post, item.post.as_mut()),
            (Method::Delete, item.delete.as_mut()),
            (Method::Patch, item.patch.as_mut()),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                complete_operation(method, operation);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Put,
    Post,
    Delete,
    Patch,
}

/// What the document says about an operation's input.
#[derive(Debug, Default)]
struct Input {
    path_parameters: bool,
    any_parameters: bool,
    body: bool,
    json_body: bool,
    if_match: bool,
    if_match_required: bool,
}

impl Input {
    fn of(operation: &Operation) -> Self {
        let mut input = Input::default();
        for parameter in operation.parameters.iter().flatten() {
            input.any_parameters = true;
            match parameter.parameter_in {
                ParameterIn::Path => input.path_parameters = true,
                ParameterIn::Header if parameter.name.eq_ignore_ascii_case("if-match") => {
                    input.if_match = true;
                    input.if_match_required |= matches!(parameter.required, Required::True);
                }
                _ => {}
            }
        }
        if let Some(body) = &operation.request_body {
            input.body = true;
            input.json_body = body.content.keys().any(|media_type| {
                media_type == "application/json" || media_type.ends_with("+json")
            });
        }
        input
    }
}

/// The statuses `operation` can answer whatever its handler does.
fn statuses_of(method: Method, input: &Input) -> Vec<u16> {
    // Every request passes the token check, the timeout and the database.
    let mut statuses = vec![401, 403, 408, 500, 503];
    if input.path_parameters {
        statuses.push(404);
    }
    if input.json_body {
        statuses.extend([400, 415]);
    }
    // The body limit applies to every body; the idempotency middleware reads
    // (and judges the key of) every POST.
    if input.body || matches!(method, Method::Post | Method::Put | Method::Patch) {
        statuses.push(413);
    }
    if input.body || input.any_parameters || method == Method::Post {
        statuses.push(422);
    }
    if method == Method::Post {
        statuses.push(409);
    }
    if input.if_match || method == Method::Patch {
        statuses.push(412);
    }
    if input.if_match_required || method == Method::Patch {
        statuses.push(428);
    }
    statuses.sort_unstable();
    statuses
}

fn complete_operation(method: Method, operation: &mut Operation) {
    let input = Input::of(operation);
    let responses = &mut operation.responses.responses;
    for status in statuses_of(method, &input) {
        responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new("")));
    }
    for (status, response) in responses.iter_mut() {
        let Ok(code) = status.parse::<u16>() else {
            continue;
        };
        if code < 400 {
            continue;
        }
        if let RefOr::T(response) = response {
            as_problem(code, response);
        }
    }
}

/// Documents an error response as problem details: one media type, the
/// `Problem` schema, a description when the annotation gave none, and the
/// headers that come with some statuses.
fn as_problem(status: u16, response: &mut Response) {
    response.content.clear();
    response.content.insert(
        PROBLEM_CONTENT_TYPE.to_owned(),
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    if response.description.trim().is_empty() {
        response.description = description(status).to_owned();
    }
    let header = match status {
        401 => Some((
            "WWW-Authenticate",
            "`Bearer`: the scheme to authenticate with.",
            Type::String,
        )),
        429 => Some((
            "Retry-After",
            "Seconds to wait before trying again.",
            Type::Integer,
        )),
        _ => None,
    };
    if let Some((name, about, kind)) = header {
        response.headers.entry(name.to_owned()).or_insert_with(|| {
            let mut header = Header::new(ObjectBuilder::new().schema_type(kind));
            header.description = Some(about.to_owned());
            header
        });
    }
}

fn description(status: u16) -> &'static str {
    match status {
        400 => "The body is not well-formed JSON.",
        401 => "Not signed in, or the API token is unknown, expired, revoked or malformed.",
        403 => {
            "The caller may not do this: their role, or an API token without the scope this call needs."
        }
        404 => "No such record in the caller's organization.",
        408 => "The request took longer than the server allows.",
        409 => {
            "The request conflicts with the current state (a duplicate, a record in use, a move \
                the workflow does not allow), or a request with the same Idempotency-Key is still \
                being processed."
        }
        412 => {
            "If-Match names a version that is no longer current; `current_version` tells the current one."
        }
        413 => "The request body is larger than the server accepts.",
        415 => "The body must be JSON, sent with Content-Type: application/json.",
        422 => "The input is invalid; `errors` names each bad field, parameter or header.",
        428 => "This change needs an If-Match header with the record's ETag.",
        429 => "Too many attempts; Retry-After tells when to try again.",
        500 => "Something went wrong on the server's side; it has been logged.",
        503 => "The database is unavailable; try again shortly.",
        _ => "An error, as problem details.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_with_a_body_can_fail_in_every_way_an_update_can() {
        let input = Input {
            path_parameters: true,
            any_parameters: true,
            body: true,
            json_body: true,
            if_match: true,
            if_match_required: true,
        };
        assert_eq!(
            statuses_of(Method::Patch, &input),
            vec![400, 401, 403, 404, 408, 412, 413, 415, 422, 428, 500, 503]
        );
    }

    #[test]
    fn a_plain_list_fails_only_through_the_layers() {
        assert_eq!(
            statuses_of(Method::Get, &Input::default()),
            vec![401, 403, 408, 500, 503]
        );
    }
}
