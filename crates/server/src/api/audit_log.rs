//! `/api/v1/audit-log`: who changed what, newest first (administrators).

use crate::AppState;
use crate::auth::Authenticated;
use crate::extract::{ApiQuery, Page, PageQuery};
use crate::policy;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use roundtable_app::Caller;
use roundtable_store::audit::AuditEntry;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_log))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    /// Who made the change; absent for the operator's tools (command line, demo).
    pub actor_person_id: Option<i64>,
    #[schema(example = "department.updated")]
    pub action: String,
    #[schema(example = "department")]
    pub subject_kind: String,
    pub subject_id: Option<i64>,
    #[schema(example = "changed name, lead_ids")]
    pub detail: String,
    pub created_at: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(entry: AuditEntry) -> Self {
        AuditEntryView {
            id: entry.id,
            actor_person_id: entry.actor_person_id.map(|person| person.0),
            action: entry.action,
            subject_kind: entry.subject_kind,
            subject_id: entry.subject_id,
            detail: entry.detail,
            created_at: entry.created_at.to_string(),
        }
    }
}

pub type AuditPage = Page<AuditEntryView>;

/// The organization's audit log, newest first (administrators).
#[utoipa::path(
    get, path = "/audit-log", tag = "audit", params(PageQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_audit_log(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    // Who may read it is judged before the paging, as it always was.
    policy::read_audit_log(&actor)?;
    let listing = roundtable_app::organization::audit_log(
        &Caller::new(&state.store, &actor),
        query.to_page()?,
    )
    .await?;
    Ok(Json(Page::from_listing(listing, AuditEntryView::from)))
}
