//! `Idempotency-Key` on POST calls: a call retried with the same key gets
//! the first call's answer instead of making its change twice, also when the
//! server was killed in the middle of the first. Keys belong to the caller,
//! so two people can never see each other's answers.
//!
//! How (see `roundtable_store::idempotency`): nothing is reserved up front.
//! The handler runs inside an [`IdempotentCall`], and its first store write
//! records the key in the same transaction as the change, so the key's row
//! exists exactly when the change committed. The answer is recorded right
//! after. A retry then finds:
//! - no row: the change never committed, so the call runs (again);
//! - a row for a different request body: 422, as before;
//! - a row with an answer: that answer is replayed, with its `ETag`;
//! - a row without an answer: the first call is finishing (a concurrent
//!   duplicate), and its answer is waited for; or it stopped between its
//!   commit and the answer (a crash), and once the row is older than any call
//!   takes to finish, the answer is rebuilt by reading the created record
//!   again at the path the row keeps (201 with its current body and `ETag`),
//!   and recorded for later retries.
//!
//! A concurrent duplicate that gets past the first look conflicts on the
//! key's row before its write changes anything, and then waits for the first
//! call's answer: two calls with one key never both make their change.
//!
//! Keys are kept for the worker's idempotency retention (24 hours unless
//! configured otherwise), then deleted by its housekeeping.

use crate::AppState;
use crate::auth::Authenticated;
use crate::problem::ApiError;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use roundtable_store::Scoped;
use roundtable_store::auth::Actor;
use roundtable_store::idempotency::{
    CallOutcome, IdempotencyRecord, IdempotentCall, Locator, RecordedAnswer,
};
use sha2::{Digest, Sha256};
use std::any::Any;
use std::time::Duration;
use tower::ServiceExt;

pub const HEADER: &str = "idempotency-key";
const MAX_KEY_LENGTH: usize = 255;

/// A key's row without an answer younger than this belongs, presumably, to
/// a call still finishing (its answer follows its commit within
/// milliseconds); an older one to a call that stopped before answering.
const ANSWER_EXPECTED_WITHIN: SignedDuration = SignedDuration::from_secs(3);

/// How often a waiting duplicate looks for the first call's answer.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// The headers of an answer that are kept and replayed with it.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];

pub async fn idempotent_creates(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(HEADER) else {
        return next.run(request).await;
    };
    let key = match key.to_str() {
        Ok(key) if !key.trim().is_empty() && key.len() <= MAX_KEY_LENGTH => key.trim().to_owned(),
        _ => {
            return ApiError::invalid(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"),
            )
            .into_response();
        }
    };
    let Some(Authenticated(actor)) = request.extensions().get::<Authenticated>().cloned() else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, state.config.body_limit).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::PayloadTooLarge.into_response(),
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(parts.uri.path().as_bytes());
    hasher.update([0]);
    hasher.update(&bytes);
    let fingerprint: String = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();

    let earlier = Earlier {
        state: &state,
        actor: &actor,
        key: &key,
        fingerprint: &fingerprint,
    };
    match earlier
        .scoped()
        .idempotency_record(actor.person_id, &key)
        .await
    {
        Err(error) => return ApiError::from(error).into_response(),
        Ok(Some(record)) => return earlier.answer(record).await,
        Ok(None) => {}
    }

    let call = IdempotentCall::new(
        actor.organization_id,
        actor.person_id,
        key.clone(),
        fingerprint.clone(),
        locator(parts.uri.path()),
    );
    let response = call
        .run(next.run(Request::from_parts(parts, Body::from(bytes))))
        .await;
    match call.outcome() {
        // Nothing committed with the key: a retry may run the call again.
        CallOutcome::NothingWritten | CallOutcome::Writing => response,
        CallOutcome::AnotherCallFirst => earlier.await_answer().await,
        CallOutcome::Committed => {
            let (parts, body) = response.into_parts();
            let Ok(body) = to_bytes(body, usize::MAX).await else {
                // The change stands; a retry rebuilds its answer.
                return ApiError::Internal("could not read the response body".to_owned())
                    .into_response();
            };
            let answer = RecordedAnswer {
                status: parts.status.as_u16(),
                body: String::from_utf8_lossy(&body).into_owned(),
                headers: Some(kept_headers(&parts.headers)),
            };
            if let Err(error) = earlier
                .scoped()
                .record_idempotent_answer(actor.person_id, key.clone(), answer)
                .await
            {
                // The change stands and its key's row says where; a retry
                // rebuilds the answer from it.
                tracing::warn!(%error, "could not record an idempotent answer");
            }
            Response::from_parts(parts, Body::from(body))
        }
    }
}

/// An earlier call with the same key, whose change committed.
struct Earlier<'a> {
    state: &'a AppState,
    actor: &'a Actor,
    key: &'a str,
    fingerprint: &'a str,
}

impl Earlier<'_> {
    fn scoped(&self) -> Scoped<'_> {
        self.state.store.scoped(self.actor.organization_id)
    }

    /// Answers a retry from the earlier call's row.
    async fn answer(&self, mut record: IdempotencyRecord) -> Response {
        if record.fingerprint != self.fingerprint {
            return ApiError::invalid(
                "Idempotency-Key",
                "was already used for a different request; use a new key for a new request",
            )
            .into_response();
        }
        loop {
            if let Some(answer) = record.answer {
                return replay(&answer);
            }
            let age = Timestamp::now().duration_since(record.created_at);
            if age >= ANSWER_EXPECTED_WITHIN {
                return self.rebuild(record.resource_path.as_deref()).await;
            }
            tokio::time::sleep(POLL_EVERY).await;
            record = match self
                .scoped()
                .idempotency_record(self.actor.person_id, self.key)
                .await
            {
                Ok(Some(record)) => record,
                // Removed meanwhile (the retention): nothing to replay.
                Ok(None) => return retry_shortly(),
                Err(error) => return ApiError::from(error).into_response(),
            };
        }
    }

    /// After this call's write was refused because another call with the
    /// key committed first: answers with that call's answer.
    async fn await_answer(&self) -> Response {
        match self
            .scoped()
            .idempotency_record(self.actor.person_id, self.key)
            .await
        {
            Ok(Some(record)) => self.answer(record).await,
            // The other call's batch did not commit after all (SQLite): the
            // key is free, and a retry runs the call.
            Ok(None) => retry_shortly(),
            Err(error) => ApiError::from(error).into_response(),
        }
    }

    /// The answer of a call that committed and stopped before answering:
    /// the created record, read again, as a 201.
    async fn rebuild(&self, resource_path: Option<&str>) -> Response {
        let Some(path) = resource_path else {
            return ApiError::Conflict {
                field: Some("Idempotency-Key".to_owned()),
                detail: "the request with this key was carried out, but its answer was lost when \
                         the server stopped; read the record to see the outcome"
                    .to_owned(),
            }
            .into_response();
        };
        let Ok(mut read) = Request::get(path).body(Body::empty()) else {
            return ApiError::Internal(format!("cannot read {path} again")).into_response();
        };
        read.extensions_mut()
            .insert(Authenticated(self.actor.clone()));
        // Only for answers lost in a crash, so building the routes anew is fine.
        let (routes, _) = crate::api::routes();
        let Ok(response) = routes.with_state(self.state.clone()).oneshot(read).await;
        if response.status() != StatusCode::OK {
            // Deleted since, or no longer visible to the caller: say so.
            return response;
        }
        let (mut parts, body) = response.into_parts();
        let Ok(body) = to_bytes(body, usize::MAX).await else {
            return ApiError::Internal("could not read the record again".to_owned())
                .into_response();
        };
        parts.status = StatusCode::CREATED;
        let answer = RecordedAnswer {
            status: StatusCode::CREATED.as_u16(),
            body: String::from_utf8_lossy(&body).into_owned(),
            headers: Some(kept_headers(&parts.headers)),
        };
        // Later retries get this same answer.
        if let Err(error) = self
            .scoped()
            .record_idempotent_answer(self.actor.person_id, self.key.to_owned(), answer.clone())
            .await
        {
            tracing::warn!(%error, "could not record a rebuilt idempotent answer");
        }
        replay(&answer)
    }
}

fn retry_shortly() -> Response {
    ApiError::Conflict {
        field: Some("Idempotency-Key".to_owned()),
        detail: "a request with this key did not complete; retry".to_owned(),
    }
    .into_response()
}

/// The recorded answer again, marked as a replay.
fn replay(answer: &RecordedAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body.clone()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let kept: serde_json::Map<String, serde_json::Value> = answer
        .headers
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    for name in REPLAYED_HEADERS {
        if let Some(value) = kept
            .get(name.as_str())
            .and_then(serde_json::Value::as_str)
            .and_then(|value| HeaderValue::from_str(value).ok())
        {
            headers.insert(name, value);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// The replayed headers of an answer, as a JSON object.
fn kept_headers(headers: &HeaderMap) -> String {
    let kept: serde_json::Map<String, serde_json::Value> = REPLAYED_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), value.into()))
        })
        .collect();
    serde_json::Value::Object(kept).to_string()
}

/// Where the record created by a POST to `post_path` can be read again,
/// from what the store's write returned.
fn locator(post_path: &str) -> Locator {
    let post_path = post_path.trim_end_matches('/').to_owned();
    Box::new(move |written| created_record_path(&post_path, written))
}

/// The API path of the record a create call made, for the creates whose
/// record has a path of its own to read it at; `None` for anything else
/// (its lost answer cannot be rebuilt).
fn created_record_path(post_path: &str, written: &dyn Any) -> Option<String> {
    use roundtable_store::{
        agreements, calendars, departments, kudos, objectives, people, pulses, requests, reviews,
        round_table, segments, services,
    };
    fn id<T: 'static>(written: &dyn Any, id: impl Fn(&T) -> i64) -> Option<i64> {
        written.downcast_ref::<T>().map(id)
    }
    let collection = post_path.strip_prefix("/api/v1/")?;
    let (collection, id) = match collection {
        "agreements" => (
            "agreements",
            id(written, |it: &agreements::Agreement| it.id),
        ),
        "calendars" => ("calendars", id(written, |it: &calendars::Calendar| it.id.0)),
        "departments" => (
            "departments",
            id(written, |it: &departments::Department| it.id.0),
        ),
        "enhancements" => (
            "enhancements",
            id(written, |it: &round_table::Enhancement| it.id),
        ),
        "kudos" => ("kudos", id(written, |it: &kudos::Kudos| it.id)),
        "objectives" => (
            "objectives",
            id(written, |it: &objectives::Objective| it.id),
        ),
        "measures" => ("measures", id(written, |it: &objectives::Measure| it.id)),
        "goals" => ("goals", id(written, |it: &objectives::Goal| it.id)),
        "people" => ("people", id(written, |it: &people::Person| it.id.0)),
        "pulses" => ("pulses", id(written, |it: &pulses::PulseRound| it.id)),
        "requests" => ("requests", id(written, |it: &requests::Request| it.id)),
        "reviews" => ("reviews", id(written, |it: &reviews::Review| it.id)),
        "segments" => ("segments", id(written, |it: &segments::Segment| it.id)),
        "services" => ("services", id(written, |it: &services::Service| it.id)),
        "sessions" => ("sessions", id(written, |it: &round_table::Session| it.id)),
        "actions" => ("actions", id(written, |it: &round_table::Action| it.id)),
        "topics" => ("topics", id(written, |it: &round_table::Topic| it.id)),
        sub_requests
            if sub_requests.starts_with("requests/") && sub_requests.ends_with("/sub-requests") =>
        {
            ("requests", id(written, |it: &requests::Request| it.id))
        }
        _ => return None,
    };
    Some(format!("/api/v1/{collection}/{}", id?))
}
