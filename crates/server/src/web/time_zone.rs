//! `/settings/time-zone`: the zone a person reads every time in.

use super::{ActionError, Layout, SignedForm, Viewer, WebError, after_action, render};
use crate::AppState;
use crate::problem::ApiError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use roundtable_app::Caller;
use roundtable_app::time_zone;

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/time-zone", get(show).post(save))
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "time_zone.html")]
pub struct TimeZonePage {
    layout: Layout,
    /// The zone chosen, or empty when following the department's calendar.
    chosen: String,
    /// The zone times are shown in now.
    reading: String,
    /// Every zone the product knows, for the list.
    zones: Vec<String>,
    saved: bool,
    failed: ActionError,
}

impl TimeZonePage {
    pub fn is_chosen(&self, zone: &str) -> bool {
        self.chosen == zone
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    saved: bool,
    failed: ActionError,
) -> Result<TimeZonePage, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let reader = time_zone::of_caller(&caller).await?;
    let mut zones: Vec<String> = jiff::tz::db()
        .available()
        .map(|name| name.to_string())
        .collect();
    zones.sort();
    Ok(TimeZonePage {
        layout: Layout::new(viewer, "Your time zone", "settings"),
        chosen: if reader.chosen {
            reader.name.clone()
        } else {
            String::new()
        },
        reading: reader.name,
        zones,
        saved,
        failed,
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `GET /settings/time-zone`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<SavedQuery>,
) -> Result<Response, WebError> {
    let page = page(
        &state,
        &viewer,
        query.saved.is_some(),
        ActionError::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /settings/time-zone`: a zone from the list, or blank for the
/// department's calendar.
pub async fn save(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(&state.store, &viewer.actor);
    let outcome = time_zone::set_own(&caller, form.get("time_zone"))
        .await
        .map_err(ApiError::from);
    after_action(
        outcome,
        "time_zone",
        "your time zone",
        "/settings/time-zone?saved=1",
        async |failed| page(&state, &viewer, false, failed).await,
    )
    .await
}
