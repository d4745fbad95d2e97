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
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roundtable_domain::agreements::{VersionStatus, review_schedule};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::ids::OrganizationId;
use roundtable_store::caches::GenerationCache;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write as _;
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
    responses(
        (status = 200, body = Matrix, headers(("ETag" = String), ("Vary" = String)),
         description = "The matrix; gzipped (`Content-Encoding: gzip`) when `Accept-Encoding` accepts gzip."),
        (status = 304, headers(("ETag" = String)),
         description = "`If-None-Match` names the current version: the client's copy is current."),
        (status = 401, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn get_matrix(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<MatrixQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let shared = shared_matrix(&state, actor.organization_id, query.window_days).await?;
    Ok(shared.response(&headers))
}

/// A matrix as assembled and as sent: every reader in the organization gets
/// the same one (nothing in it depends on who asks), so it is built once and
/// shared until a write.
#[derive(Debug)]
pub struct SharedMatrix {
    pub matrix: Matrix,
    json: Bytes,
    /// `json` gzipped: a 50 × 50 matrix is nearly 2 MB of JSON and a tenth of
    /// that compressed, so it is compressed once here, not per response.
    gzip: Bytes,
    /// A validator of `json`, so a client polling the matrix is answered
    /// `304 Not Modified` until it changes.
    etag: HeaderValue,
}

impl SharedMatrix {
    /// Encodes an assembled matrix once for every reader: JSON, gzip and the
    /// entity tag. CPU-bound for tens of milliseconds, so callers run it off
    /// the request threads.
    fn encode(matrix: Matrix) -> Result<Self, ApiError> {
        let json = serde_json::to_vec(&matrix).map_err(|error| {
            ApiError::Internal(format!("the matrix could not be written as JSON: {error}"))
        })?;
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(json.len() / 8),
            flate2::Compression::fast(),
        );
        let gzip = encoder
            .write_all(&json)
            .and_then(|()| encoder.finish())
            .map_err(|error| {
                ApiError::Internal(format!("the matrix could not be compressed: {error}"))
            })?;
        let digest = Sha256::digest(&json);
        let tag: String = digest[..12]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        // Weak: the same tag names the plain and the gzipped body.
        let etag = HeaderValue::try_from(format!("W/\"{tag}\"")).map_err(|error| {
            ApiError::Internal(format!("the matrix's entity tag is not a header: {error}"))
        })?;
        Ok(Self {
            matrix,
            json: Bytes::from(json),
            gzip: Bytes::from(gzip),
            etag,
        })
    }

    /// The response to a request with these headers: `304` when the client
    /// holds this version, gzip when it accepts gzip, plain JSON otherwise.
    pub fn response(&self, request: &HeaderMap) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        // Authenticated data: a browser may keep it but must ask each time.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        if holds_version(request, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if accepts_gzip(request) {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (headers, self.gzip.clone()).into_response()
        } else {
            (headers, self.json.clone()).into_response()
        }
    }
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks
/// for `If-None-Match`) or is `*`.
fn holds_version(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = opaque_tag(etag.to_str().unwrap_or_default());
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || opaque_tag(tag) == ours)
}

fn opaque_tag(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// Whether `Accept-Encoding` accepts gzip: named (or `*`) with a quality
/// above zero.
fn accepts_gzip(request: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for coding in request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
    {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|parameter| {
                let (key, value) = parameter.split_once('=')?;
                (key.trim().eq_ignore_ascii_case("q")).then(|| value.trim().parse::<f32>().ok())?
            })
            .next()
            .unwrap_or(1.0);
        match name.as_str() {
            "gzip" | "x-gzip" => gzip = Some(quality > 0.0),
            "*" => any = Some(quality > 0.0),
            _ => {}
        }
    }
    gzip.or(any).unwrap_or(false)
}

impl std::ops::Deref for SharedMatrix {
    type Target = Matrix;

    fn deref(&self) -> &Matrix {
        &self.matrix
    }
}

/// Matrices by (organization, window, day), each for the write generation it
/// was assembled under (see `roundtable_store::caches`); readers arriving
/// together after a write wait for one assembly instead of each running
/// their own, and a matrix only expired (another process may have written)
/// keeps serving while a task refreshes it (the cache's
/// `get_or_fill_refreshing_behind`): no reader waits on the expiry.
#[derive(Debug)]
pub struct MatrixCache {
    matrices: Arc<GenerationCache<(i64, i64, jiff::civil::Date), SharedMatrix>>,
    /// The store's background generation when last looked at: when the
    /// escalation sweep wrote since, every matrix is refreshed behind its
    /// readers.
    seen_background: std::sync::atomic::AtomicU64,
}

impl Default for MatrixCache {
    fn default() -> Self {
        Self {
            // A 50 × 50 matrix is about 2 MB, and the window is the caller's
            // choice: a few are kept, never one per window asked for.
            matrices: Arc::new(GenerationCache::with_capacity(16)),
            seen_background: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

/// The organization's matrix over `window_days`, assembled at most once per
/// write (and per [`roundtable_store::caches::TIME_TO_LIVE`], behind the
/// readers).
pub async fn shared_matrix(
    state: &AppState,
    organization: OrganizationId,
    window_days: Option<i64>,
) -> Result<Arc<SharedMatrix>, ApiError> {
    let window_days = self::window_days(window_days)?;
    let key = (organization.0, window_days, roundtable_app::input::today());
    let background = state.store.background_generation();
    if state
        .matrices
        .seen_background
        .swap(background, std::sync::atomic::Ordering::AcqRel)
        != background
    {
        state.matrices.matrices.expire_all();
    }
    let state_for_fill = state.clone();
    let assemble = move || async move {
        let started = std::time::Instant::now();
        let matrix = assemble_matrix(&state_for_fill, organization, window_days).await?;
        let assembled = started.elapsed();
        let shared = tokio::task::spawn_blocking(move || SharedMatrix::encode(matrix))
            .await
            .map_err(|error| {
                ApiError::Internal(format!("encoding the matrix stopped: {error}"))
            })??;
        tracing::debug!(
            window_days,
            assembly_ms = assembled.as_millis() as u64,
            encoding_ms = (started.elapsed() - assembled).as_millis() as u64,
            json_bytes = shared.json.len(),
            gzip_bytes = shared.gzip.len(),
            "assembled the matrix"
        );
        Ok(shared)
    };
    let store = state.store.clone();
    state
        .matrices
        .matrices
        .get_or_fill_refreshing_behind(key, move || store.write_generation(), assemble)
        .await
}

/// Assembles each organization's matrix over the default window, so that
/// its first reader after a start does not wait for it (at 50 departments
/// and a million requests that is a few hundred milliseconds, for every
/// reader who arrives meanwhile).
pub async fn warm_matrices(state: AppState) {
    let started = std::time::Instant::now();
    let organizations = match state.store.list_organizations().await {
        Ok(organizations) => organizations,
        Err(error) => {
            tracing::warn!(%error, "warming the matrices failed");
            return;
        }
    };
    for organization in &organizations {
        if let Err(error) = shared_matrix(&state, organization.id, None).await {
            tracing::warn!(
                ?error,
                organization = organization.id.0,
                "warming a matrix failed"
            );
        }
    }
    tracing::debug!(
        organizations = organizations.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "warmed the matrices"
    );
}

async fn assemble_matrix(
    state: &AppState,
    organization: OrganizationId,
    window_days: i64,
) -> Result<Matrix, ApiError> {
    let scoped = state.store.scoped(organization);
    let facts = scoped.matrix_facts().await?;
    let now = jiff::Timestamp::now();
    let kudos_since = now
        .checked_sub(jiff::SignedDuration::from_hours(
            window_days.saturating_mul(24),
        ))
        .unwrap_or(jiff::Timestamp::MIN);
    let mut kudos = scoped.kudos_counts_per_cell(kudos_since).await?;
    let report = scoped.relationship_health(window_days, now).await?;
    let today = roundtable_app::input::today();
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn gzip_is_sent_only_where_accepted_with_a_quality_above_zero() {
        let accepts = |value| accepts_gzip(&with(header::ACCEPT_ENCODING, value));
        assert!(accepts("gzip, deflate, br"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts("x-gzip"));
        assert!(accepts("*"));
        assert!(accepts("identity, *;q=0.1"));
        assert!(!accepts("gzip;q=0"));
        assert!(
            !accepts("gzip; q=0.0, *"),
            "named gzip outranks the wildcard"
        );
        assert!(!accepts("br, deflate"));
        assert!(!accepts("identity"));
        assert!(!accepts("*;q=0"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn a_client_holds_the_version_its_tag_names_weak_or_strong() {
        let etag = HeaderValue::from_static("W/\"abc\"");
        let holds = |value| holds_version(&with(header::IF_NONE_MATCH, value), &etag);
        assert!(holds("W/\"abc\""));
        assert!(holds("\"abc\""));
        assert!(holds("\"zzz\", W/\"abc\""));
        assert!(holds("*"));
        assert!(!holds("\"abd\""));
        assert!(!holds("abc"));
        assert!(!holds_version(&HeaderMap::new(), &etag));
    }
}
