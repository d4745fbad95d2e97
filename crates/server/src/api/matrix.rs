//! `GET /api/v1/matrix`: the Internal Customer Relationship Matrix. Every
//! provider → consumer cell (A → B and B → A are different cells) with the
//! services in that direction and the state of its agreement. Cells are
//! objects so that later signals (health, frustrations, kudos) join them as
//! new fields without breaking clients.

use crate::AppState;
use crate::api::health::{
    ComponentLegend, HealthView, InputQualityView, component_legend, terse_cell_health_view,
    window_days,
};
use crate::auth::Authenticated;
use crate::extract::ApiQuery;
use crate::problem::{ApiError, Problem};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use roundtable_domain::agreements::{VersionStatus, review_schedule};
use roundtable_domain::ids::DepartmentId;
use roundtable_store::auth::Actor;
use roundtable_store::caches::GenerationCache;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_matrix))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// The window that measures (health, trends) look back over, 1 to 730 days; default 90.
    #[param(minimum = 1, maximum = 730)]
    pub window_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixDepartment {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixService {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixAgreementView {
    pub id: i64,
    /// The status of the newest version: `draft`, `proposed` or `agreed`.
    pub status: String,
    pub current_version: i64,
    /// The version in force, if any.
    pub agreed_version: Option<i64>,
    pub review_cadence: String,
    pub last_reviewed_on: Option<String>,
    pub next_review_on: Option<String>,
    pub review_overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixCell {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// Active services the provider offers this consumer.
    pub services: Vec<MatrixService>,
    /// Absent when the cell has no agreement yet.
    pub agreement: Option<MatrixAgreementView>,
    /// Relationship health over the window, each component with its value and sample size.
    pub health: HealthView,
    /// The reciprocal side: how the provider rated the input the consumer gave it.
    pub input_quality: InputQualityView,
    /// Kudos given by people of the provider department to the consumer
    /// department or its people within the window.
    pub kudos: i64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct MatrixSummary {
    pub cells: usize,
    pub cells_with_services: usize,
    /// Cells with an agreement in force.
    pub agreed: usize,
    /// Cells whose newest version awaits acceptance.
    pub proposed: usize,
    pub drafts: usize,
    pub reviews_overdue: usize,
    /// Cells with a health score (the rest have insufficient data).
    pub with_health: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Matrix {
    pub window_days: i64,
    /// The date review schedules are judged against.
    pub as_of: String,
    /// Rows and columns, in this order.
    pub departments: Vec<MatrixDepartment>,
    /// Every ordered pair of distinct departments, provider-major in department order.
    pub cells: Vec<MatrixCell>,
    /// What each health component measures and weighs, said once for all cells.
    pub components: Vec<ComponentLegend>,
    pub summary: MatrixSummary,
}

/// The whole matrix: every provider × consumer cell.
#[utoipa::path(
    get, path = "/matrix", tag = "matrix", params(MatrixQuery),
    responses((status = 200, body = Matrix), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_matrix(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<MatrixQuery>,
) -> Result<Response, ApiError> {
    let shared = shared_matrix(&state, &actor, query.window_days).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        shared.json.clone(),
    )
        .into_response())
}

/// A matrix as assembled and as sent: every reader in the organization gets
/// the same one (nothing in it depends on who asks), so it is built once and
/// shared until a write.
#[derive(Debug)]
pub struct SharedMatrix {
    pub matrix: Matrix,
    json: Bytes,
}

impl std::ops::Deref for SharedMatrix {
    type Target = Matrix;

    fn deref(&self) -> &Matrix {
        &self.matrix
    }
}

/// Matrices by (organization, window, day), each for the write generation it
/// was assembled under (see `roundtable_store::caches`); readers arriving
/// together while one is missing or stale wait for one assembly (the cache's
/// `get_or_fill`) instead of each running their own.
#[derive(Debug)]
pub struct MatrixCache {
    matrices: GenerationCache<(i64, i64, jiff::civil::Date), SharedMatrix>,
}

impl Default for MatrixCache {
    fn default() -> Self {
        Self {
            // A 50 × 50 matrix is about 2 MB, and the window is the caller's
            // choice: a few are kept, never one per window asked for.
            matrices: GenerationCache::with_capacity(16),
        }
    }
}

/// The organization's matrix over `window_days`, assembled at most once per
/// write (and per [`roundtable_store::caches::TIME_TO_LIVE`]).
pub async fn shared_matrix(
    state: &AppState,
    actor: &Actor,
    window_days: Option<i64>,
) -> Result<Arc<SharedMatrix>, ApiError> {
    let window_days = self::window_days(window_days)?;
    let key = (
        actor.organization_id.0,
        window_days,
        super::agreements::today(),
    );
    let assemble = || async {
        let matrix = assemble_matrix(state, actor, window_days).await?;
        let json = serde_json::to_vec(&matrix).map_err(|error| {
            ApiError::Internal(format!("the matrix could not be written as JSON: {error}"))
        })?;
        Ok(SharedMatrix {
            matrix,
            json: Bytes::from(json),
        })
    };
    state
        .matrices
        .matrices
        .get_or_fill(key, || state.store.write_generation(), assemble)
        .await
}

async fn assemble_matrix(
    state: &AppState,
    actor: &Actor,
    window_days: i64,
) -> Result<Matrix, ApiError> {
    let scoped = state.scoped(actor);
    let facts = scoped.matrix_facts().await?;
    let now = jiff::Timestamp::now();
    let kudos_since = now
        .checked_sub(jiff::SignedDuration::from_hours(
            window_days.saturating_mul(24),
        ))
        .unwrap_or(jiff::Timestamp::MIN);
    let mut kudos = scoped.kudos_counts_per_cell(kudos_since).await?;
    let report = scoped.relationship_health(window_days, now).await?;
    let today = super::agreements::today();
    let mut services: HashMap<(DepartmentId, DepartmentId), Vec<MatrixService>> = HashMap::new();
    for (id, name, provider, consumer) in facts.service_links {
        services
            .entry((provider, consumer))
            .or_default()
            .push(MatrixService { id, name });
    }
    let mut agreements: HashMap<(DepartmentId, DepartmentId), MatrixAgreementView> = facts
        .agreements
        .into_iter()
        .map(|agreement| {
            let schedule = agreement
                .last_reviewed_on
                .filter(|_| agreement.agreed_version.is_some())
                .map(|last| review_schedule(last, agreement.review_cadence, today));
            let view = MatrixAgreementView {
                id: agreement.id,
                status: match agreement.status {
                    // A superseded newest version cannot exist; report what is in force.
                    VersionStatus::Superseded => VersionStatus::Agreed.as_str().to_owned(),
                    status => status.as_str().to_owned(),
                },
                current_version: agreement.current_version,
                agreed_version: agreement.agreed_version,
                review_cadence: agreement.review_cadence.as_str().to_owned(),
                last_reviewed_on: agreement.last_reviewed_on.map(|date| date.to_string()),
                next_review_on: schedule.map(|schedule| schedule.next_review_on.to_string()),
                review_overdue: schedule.is_some_and(|schedule| schedule.overdue),
            };
            ((agreement.provider, agreement.consumer), view)
        })
        .collect();
    let mut summary = MatrixSummary::default();
    let mut cells = Vec::with_capacity(
        facts
            .departments
            .len()
            .saturating_mul(facts.departments.len()),
    );
    for (provider, _, _) in &facts.departments {
        for (consumer, _, _) in &facts.departments {
            if provider == consumer {
                continue;
            }
            let key = (*provider, *consumer);
            let cell_services = services.remove(&key).unwrap_or_default();
            let agreement = agreements.remove(&key);
            summary.cells += 1;
            summary.cells_with_services += usize::from(!cell_services.is_empty());
            if let Some(agreement) = &agreement {
                summary.agreed += usize::from(agreement.agreed_version.is_some());
                summary.proposed += usize::from(agreement.status == "proposed");
                summary.drafts += usize::from(agreement.status == "draft");
                summary.reviews_overdue += usize::from(agreement.review_overdue);
            }
            let cell_health = report.cell(key);
            summary.with_health += usize::from(cell_health.health.score.is_some());
            cells.push(MatrixCell {
                provider_department_id: provider.0,
                consumer_department_id: consumer.0,
                services: cell_services,
                agreement,
                health: terse_cell_health_view(&cell_health),
                input_quality: cell_health.input_quality.into(),
                kudos: kudos.remove(&key).unwrap_or(0),
            });
        }
    }
    Ok(Matrix {
        window_days,
        as_of: today.to_string(),
        departments: facts
            .departments
            .into_iter()
            .map(|(id, slug, name)| MatrixDepartment {
                id: id.0,
                slug,
                name,
            })
            .collect(),
        cells,
        components: component_legend(),
        summary,
    })
}
