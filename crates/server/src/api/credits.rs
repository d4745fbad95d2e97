//! `/api/v1/requests/{id}/credits`: the contributors a resolved request
//! credits. Who may credit: the request's two sides (the provider
//! department, which includes its lead and the assignee, and the requester;
//! administrators act for the provider), only once the request is resolved
//! or closed. Credits are added, never replaced; a credit is taken back only
//! by whoever gave it (or an administrator), explicitly, on the timeline and
//! in the audit log. Authorization comes before validation: a caller who may
//! not credit learns nothing from a bad body.

use crate::AppState;
use crate::api::requests::{roles_of, visible};
use crate::auth::Authenticated;
use crate::extract::{ApiJson, RecordId};
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::PersonId;
use roundtable_domain::people::Role;
use roundtable_store::auth::Actor;
use roundtable_store::credits::{Credit, NewCredits};
use roundtable_store::requests::Request;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credits, credit_contributors))
        .routes(routes!(remove_credit))
}

/// The most people one call credits.
pub const MAX_PEOPLE: usize = 50;
/// The longest note, in characters.
pub const MAX_NOTE: usize = 2_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditBody {
    /// The people to credit (ids), each once; all are credited or none.
    #[schema(example = json!([12, 15]))]
    pub people: Vec<i64>,
    /// What they contributed, shown with each credit.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditView {
    pub id: i64,
    pub request_id: i64,
    pub person_id: i64,
    pub person_name: String,
    /// The person's department when credited.
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub note: String,
    pub credited_by: i64,
    pub credited_by_name: String,
    pub created_at: String,
}

impl From<Credit> for CreditView {
    fn from(credit: Credit) -> Self {
        CreditView {
            id: credit.id,
            request_id: credit.request_id,
            person_id: credit.person_id.0,
            person_name: credit.person_name,
            department_id: credit.department_id.map(|department| department.0),
            department_name: credit.department_name,
            note: credit.note,
            credited_by: credit.credited_by.0,
            credited_by_name: credit.credited_by_name,
            created_at: credit.created_at.to_string(),
        }
    }
}

/// May the actor credit contributors on this request (whatever its state)?
pub fn may_credit(actor: &Actor, request: &Request) -> bool {
    let roles = roles_of(actor, request);
    roles.provider || roles.requester
}

/// May the actor take back a credit given by `credited_by`? Its giver, or
/// an administrator (the store checks the same when removing).
pub fn may_take_back(actor: &Actor, credited_by: i64) -> bool {
    credited_by == actor.person_id.0 || actor.role == Role::Admin
}

fn check_may_credit(actor: &Actor, request: &Request) -> Result<(), ApiError> {
    if may_credit(actor, request) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Contributors are credited by the request's provider department or its requester.",
        ))
    }
}

/// The body checked whole, each problem naming its field.
fn parse_body(body: &CreditBody) -> Result<(Vec<PersonId>, String), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if body.people.is_empty() {
        errors.push("people", "name at least one person to credit");
    } else if body.people.len() > MAX_PEOPLE {
        errors.push("people", format!("at most {MAX_PEOPLE} people at a time"));
    }
    for (index, person) in body.people.iter().enumerate() {
        if *person <= 0 {
            errors.push(format!("people[{index}]"), "must be a person's id");
        }
    }
    let note = body.note.trim().to_owned();
    if note.chars().count() > MAX_NOTE {
        errors.push("note", format!("must be at most {MAX_NOTE} characters"));
    }
    errors.finish(|| (body.people.iter().copied().map(PersonId).collect(), note))
}

/// The contributors a request credits, in the order they were credited.
#[utoipa::path(
    get, path = "/requests/{id}/credits", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CreditView>), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("session" = []))
)]
pub async fn list_credits(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
) -> Result<Json<Vec<CreditView>>, ApiError> {
    let scoped = state.scoped(&actor);
    visible(&scoped, &actor, id).await?;
    Ok(Json(
        scoped
            .request_credits(id)
            .await?
            .into_iter()
            .map(CreditView::from)
            .collect(),
    ))
}

/// Credits contributors on a resolved or closed request (all or none); each
/// is told, and each credit appears on the timeline.
#[utoipa::path(
    post, path = "/requests/{id}/credits", tag = "requests", request_body = CreditBody, params(("id" = i64, Path)),
    responses(
        (status = 201, body = Vec<CreditView>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn credit_contributors(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    RecordId(id): RecordId,
    ApiJson(body): ApiJson<CreditBody>,
) -> Result<(StatusCode, Json<Vec<CreditView>>), ApiError> {
    let scoped = state.scoped(&actor);
    let request = visible(&scoped, &actor, id).await?;
    check_may_credit(&actor, &request)?;
    let (people, note) = parse_body(&body)?;
    let credits = scoped
        .by(actor.person_id)
        .credit_contributors(
            id,
            NewCredits {
                people,
                note,
                by: actor.person_id,
                at: Timestamp::now(),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(credits.into_iter().map(CreditView::from).collect()),
    ))
}

/// Takes a credit back: only whoever gave it, or an administrator.
#[utoipa::path(
    delete, path = "/requests/{id}/credits/{person_id}", tag = "requests",
    params(("id" = i64, Path), ("person_id" = i64, Path, description = "The credited person")),
    responses(
        (status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn remove_credit(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, person)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let parse = |field: &str, text: &str| {
        text.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| ApiError::invalid(field, "must be a positive whole number"))
    };
    let (id, person) = (parse("id", &id)?, parse("person_id", &person)?);
    let scoped = state.scoped(&actor);
    visible(&scoped, &actor, id).await?;
    scoped
        .by(actor.person_id)
        .remove_credit(
            id,
            PersonId(person),
            actor.person_id,
            actor.role == Role::Admin,
            Timestamp::now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: CreditBody) -> Vec<String> {
        parse_body(&body)
            .err()
            .map(|errors| errors.0.into_iter().map(|error| error.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn each_bad_person_is_named_by_position() {
        let body = |people: Vec<i64>| CreditBody {
            people,
            note: String::new(),
        };
        assert_eq!(fields(body(vec![])), ["people"]);
        assert_eq!(fields(body(vec![3, 0, -2])), ["people[1]", "people[2]"]);
        assert_eq!(fields(body((1..=51).collect())), ["people"]);
        assert!(fields(body(vec![3, 4])).is_empty());
        assert_eq!(
            fields(CreditBody {
                people: vec![3],
                note: "x".repeat(MAX_NOTE + 1),
            }),
            ["note"]
        );
    }
}
