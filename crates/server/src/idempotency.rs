//! `Idempotency-Key` on create calls: a POST retried with the same key returns
//! the first response instead of creating twice. Keys belong to the caller, so
//! two people can never see each other's responses.

use crate::AppState;
use crate::auth::Authenticated;
use crate::problem::ApiError;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use roundtable_store::idempotency::Reservation;
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
const MAX_KEY_LENGTH: usize = 255;

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

    let scoped = state.scoped(&actor);
    match scoped
        .reserve_idempotency_key(actor.person_id, key.clone(), fingerprint)
        .await
    {
        Err(error) => ApiError::from(error).into_response(),
        Ok(Reservation::Mismatch) => ApiError::invalid(
            "Idempotency-Key",
            "was already used for a different request; use a new key for a new request",
        )
        .into_response(),
        Ok(Reservation::InProgress) => ApiError::Conflict {
            field: Some("Idempotency-Key".to_owned()),
            detail: "a request with this key is still being processed; retry shortly".to_owned(),
        }
        .into_response(),
        Ok(Reservation::Replay { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        Ok(Reservation::Reserved) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let (response_parts, response_body) = response.into_parts();
            let Ok(response_bytes) = to_bytes(response_body, usize::MAX).await else {
                let _ = scoped.release_idempotency_key(actor.person_id, key).await;
                return ApiError::Internal("could not read the response body".to_owned())
                    .into_response();
            };
            let outcome = if response_parts.status.is_success() {
                scoped
                    .record_idempotent_response(
                        actor.person_id,
                        key,
                        response_parts.status.as_u16(),
                        String::from_utf8_lossy(&response_bytes).into_owned(),
                    )
                    .await
            } else {
                scoped.release_idempotency_key(actor.person_id, key).await
            };
            if let Err(error) = outcome {
                tracing::warn!(%error, "could not record an idempotent response");
            }
            Response::from_parts(response_parts, Body::from(response_bytes))
        }
    }
}
