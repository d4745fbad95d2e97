//! Internal requests: raising them, reading them, changing their details.
//! The workflow (moves, comments, deferrals, hand-offs, splits) is in
//! [`workflow`], delivery dates both sides agree in [`commitments`], the
//! provider's queue in [`queue`].
//!
//! Who sees a request is decided here once (`visible`): its requester, the
//! requester's and the provider's departments, executives, administrators
//! and the people it credits; everyone else is told it does not exist, so
//! an id reveals nothing. Which side the caller speaks for
//! ([`policy::request_roles`]) decides what they may do with it.

pub mod commitments;
pub mod queue;
pub mod workflow;

use crate::input::parse_change;
use crate::{AppError, Caller, policy};
use jiff::Timestamp;
use roundtable_domain::ValidationErrors;
use roundtable_domain::clocks::ExternalImpact;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::requests::{IntakeValue, RawValue, Status, check_intake};
use roundtable_domain::services::{Priority, Targets};
use roundtable_domain::text::Label;
use roundtable_store::requests::{
    AD_HOC_TARGETS, ClockContext, NewRequest, Request, RequestChanges, RequestFilter,
};
use roundtable_store::services::Service;
use roundtable_store::{Listing, PageRequest, StoreError};
use std::sync::Arc;

/// The longest description, comment or note, in characters.
pub const MAX_LONG_TEXT: usize = 20_000;

/// Reads a request the caller may see (or is credited on); others get
/// "not found", as if it did not exist.
#[tracing::instrument(skip(caller), fields(person = caller.actor.person_id.0))]
pub async fn visible(caller: &Caller<'_>, id: i64) -> Result<Request, AppError> {
    let request = caller.scoped.request(id).await?;
    if policy::see_request(caller.actor, &request)
        || caller
            .scoped
            .is_credited(id, caller.actor.person_id)
            .await?
    {
        Ok(request)
    } else {
        Err(AppError::NotFound)
    }
}

/// The calendars every clock of the organization is read on.
pub async fn calendars(caller: &Caller<'_>) -> Result<Arc<ClockContext>, AppError> {
    Ok(caller.scoped.clock_context().await?)
}

/// A long text field, trimmed; too long is reported under `field`.
pub fn long_text(errors: &mut ValidationErrors, field: &str, text: &str) -> String {
    if text.chars().count() > MAX_LONG_TEXT {
        errors.push(field, format!("must be at most {MAX_LONG_TEXT} characters"));
    }
    text.trim().to_owned()
}

/// An external impact as the API and forms name it.
pub fn parse_impact(value: &str) -> Result<ExternalImpact, ValidationErrors> {
    ExternalImpact::parse(value).map_err(|_| {
        ValidationErrors::single(
            "",
            "must be one of none, customer_affected, customer_waiting",
        )
    })
}

/// Which requests to list, as the caller asked (unparsed words kept as sent).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    pub open_only: bool,
    pub provider_department_id: Option<i64>,
    pub requester_person_id: Option<i64>,
    /// Only the requests the caller raised (wins over `requester_person_id`).
    pub mine: bool,
    pub service_id: Option<i64>,
    pub external_impact: Option<String>,
    pub breached: Option<bool>,
}

/// The requests the caller may see, filtered, a page at a time.
#[tracing::instrument(skip(caller), fields(person = caller.actor.person_id.0))]
pub async fn list(
    caller: &Caller<'_>,
    query: ListQuery,
    page: PageRequest,
) -> Result<Listing<Request>, AppError> {
    let mut errors = ValidationErrors::new();
    let status = query
        .status
        .as_deref()
        .and_then(|status| errors.check("status", Status::parse(status)));
    let impact = query
        .external_impact
        .as_deref()
        .and_then(|impact| errors.check("external_impact", parse_impact(impact)));
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let actor = caller.actor;
    let filter = RequestFilter {
        status,
        open_only: query.open_only,
        provider_department_id: query.provider_department_id.map(DepartmentId),
        requester_person_id: if query.mine {
            Some(actor.person_id)
        } else {
            query.requester_person_id.map(PersonId)
        },
        service_id: query.service_id,
        external_impact: impact,
        breached: query.breached,
        visible_to: (!policy::sees_everything(actor))
            .then_some((actor.person_id, actor.department_id)),
    };
    Ok(caller.scoped.list_requests(filter, page).await?)
}

/// A request as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct NewRequestInput {
    /// The service asked for; its provider works the request.
    pub service_id: Option<i64>,
    /// For a request without a service: the department asked.
    pub provider_department_id: Option<i64>,
    pub title: String,
    pub description: String,
    /// Answers to the service's intake fields, by key.
    pub intake_values: Vec<(String, RawValue)>,
    /// Defaults to normal.
    pub priority: Option<String>,
    /// Defaults to none.
    pub external_impact: Option<String>,
    pub external_reference: Option<String>,
    pub segment_id: Option<i64>,
}

/// A service read for a request, "no such service" reported at `service_id`.
async fn service_for(caller: &Caller<'_>, service_id: i64) -> Result<Service, AppError> {
    caller
        .scoped
        .service(service_id)
        .await
        .map_err(|error| match error {
            StoreError::NotFound => AppError::invalid("service_id", "no such service"),
            other => other.into(),
        })
}

/// The targets a request of `priority` gets from its service: the priority's
/// own, or the service's default.
fn targets_of(service: &Service, priority: Priority) -> Targets {
    service
        .priority_targets
        .get(&priority)
        .copied()
        .unwrap_or(service.targets)
}

fn intake_json(intake: Vec<(String, IntakeValue)>) -> String {
    let object: serde_json::Map<String, serde_json::Value> = intake
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                IntakeValue::Text(text) => serde_json::Value::String(text),
                IntakeValue::Number(number) => serde_json::json!(number),
                IntakeValue::Date(date) => serde_json::Value::String(date.to_string()),
                IntakeValue::Boolean(flag) => serde_json::Value::Bool(flag),
            };
            (key, value)
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// Checks a new request as the caller raises it: every problem at once,
/// each under its field. A request names the segment it ultimately serves;
/// for a service, it must be one the service serves (the same rule on every
/// form and in the API).
pub async fn check_new(
    caller: &Caller<'_>,
    input: NewRequestInput,
) -> Result<NewRequest, AppError> {
    let mut errors = ValidationErrors::new();
    let title = errors.check("title", Label::parse(&input.title));
    let description = long_text(&mut errors, "description", &input.description);
    let priority = match &input.priority {
        Some(priority) => errors.check("priority", Priority::parse(priority)),
        None => Some(Priority::Normal),
    };
    let impact = match &input.external_impact {
        Some(impact) => errors.check("external_impact", parse_impact(impact)),
        None => Some(ExternalImpact::None),
    };
    let reference = match input.external_reference.as_deref() {
        Some(reference) => errors
            .check("external_reference", Label::parse_optional(reference))
            .flatten(),
        None => None,
    };
    let answers = input.intake_values;
    let (provider, service_id, intake, targets, service) =
        match (input.service_id, input.provider_department_id) {
            (Some(service_id), provider) => {
                let service = service_for(caller, service_id).await?;
                if !service.active {
                    errors.push(
                        "service_id",
                        "this service is retired and takes no new requests",
                    );
                }
                if provider.is_some_and(|provider| provider != service.provider_department_id.0) {
                    errors.push(
                        "provider_department_id",
                        "differs from the service's provider; leave it out",
                    );
                }
                let intake = errors
                    .check(
                        "intake_values",
                        check_intake(&service.intake_fields, answers),
                    )
                    .unwrap_or_default();
                let targets = priority
                    .map(|priority| targets_of(&service, priority))
                    .unwrap_or(service.targets);
                (
                    service.provider_department_id,
                    Some(service.id),
                    intake,
                    targets,
                    Some(service),
                )
            }
            (None, Some(provider)) => {
                if !answers.is_empty() {
                    errors.push(
                        "intake_values",
                        "only requests for a service have intake fields",
                    );
                }
                (
                    DepartmentId(provider),
                    None,
                    Vec::new(),
                    AD_HOC_TARGETS,
                    None,
                )
            }
            (None, None) => {
                errors.push(
                    "service_id",
                    "name a service, or a provider_department_id for a request without one",
                );
                (DepartmentId(0), None, Vec::new(), AD_HOC_TARGETS, None)
            }
        };
    if let Some(segment) = input.segment_id {
        check_segment(caller, &mut errors, segment, service.as_ref()).await?;
    }
    let (Some(title), Some(priority), Some(impact)) = (title, priority, impact) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(NewRequest {
        service_id,
        provider_department_id: provider,
        requester_person_id: caller.actor.person_id,
        title: title.into_string(),
        description,
        intake_values: intake_json(intake),
        priority,
        external_impact: impact,
        external_reference: reference.map(Label::into_string),
        segment_id: input.segment_id,
        targets,
    })
}

/// A request's segment: for a request for a service, one the service serves
/// (`services::request_segment`); for one without, any segment of the
/// organization.
async fn check_segment(
    caller: &Caller<'_>,
    errors: &mut ValidationErrors,
    segment: i64,
    service: Option<&Service>,
) -> Result<(), AppError> {
    if let Some(service) = service {
        errors.check("", crate::services::request_segment(service, Some(segment)));
        return Ok(());
    }
    match caller.scoped.segment(segment).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => {
            errors.push("segment_id", "no such segment");
            Ok(())
        }
        Err(other) => Err(other.into()),
    }
}

/// Raises a request against a service (or ad hoc to a department).
#[tracing::instrument(skip(caller, input), fields(person = caller.actor.person_id.0, service = input.service_id))]
pub async fn raise(caller: &Caller<'_>, input: NewRequestInput) -> Result<Request, AppError> {
    let new = check_new(caller, input).await?;
    Ok(caller.scoped.create_request(new, Timestamp::now()).await?)
}

/// A change to a request's details as it arrives: absent fields stay, an
/// inner `None` clears.
#[derive(Debug, Clone, Default)]
pub struct RequestUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<String>,
    pub assignee_person_id: Option<Option<i64>>,
    pub external_impact: Option<String>,
    pub external_reference: Option<Option<String>>,
    pub segment_id: Option<Option<i64>>,
}

impl RequestUpdate {
    /// The caller takes the request on.
    pub fn take(person: PersonId) -> RequestUpdate {
        RequestUpdate {
            assignee_person_id: Some(Some(person.0)),
            ..RequestUpdate::default()
        }
    }
}

/// Changes a request's details at the version the caller read. The provider
/// side assigns and sets the priority (which brings the service's targets
/// for it, elapsed and paused time kept); the requester may edit the title,
/// description, impact, reference and segment.
#[tracing::instrument(skip(caller, update), fields(person = caller.actor.person_id.0))]
pub async fn update(
    caller: &Caller<'_>,
    id: i64,
    version: i64,
    update: RequestUpdate,
) -> Result<Request, AppError> {
    let actor = caller.actor;
    let request = visible(caller, id).await?;
    let roles = policy::request_roles(actor, &request);
    if !(roles.provider || roles.requester) {
        return Err(AppError::forbidden(
            "Only the requester or the provider department can change a request.",
        ));
    }
    if (update.priority.is_some() || update.assignee_person_id.is_some()) && !roles.provider {
        return Err(AppError::forbidden(
            "Only the provider department sets the priority and the assignee.",
        ));
    }
    let mut errors = ValidationErrors::new();
    let priority = update
        .priority
        .as_deref()
        .and_then(|priority| errors.check("priority", Priority::parse(priority)));
    let new_segment = update.segment_id.flatten();
    // The request's service, read once, when a new priority or segment needs it.
    let service = match request.service_id {
        Some(service) if priority.is_some() || new_segment.is_some() => {
            Some(caller.scoped.service(service).await?)
        }
        _ => None,
    };
    let targets = priority
        .zip(service.as_ref())
        .map(|(priority, service)| targets_of(service, priority));
    if let Some(segment) = new_segment {
        check_segment(caller, &mut errors, segment, service.as_ref()).await?;
    }
    let changes = RequestChanges {
        title: parse_change(&mut errors, "title", update.title.as_deref(), |title| {
            Label::parse(title).map(Label::into_string)
        }),
        description: update
            .description
            .map(|text| long_text(&mut errors, "description", &text))
            .into(),
        priority: priority.into(),
        targets: targets.into(),
        assignee_person_id: update
            .assignee_person_id
            .map(|assignee| assignee.map(PersonId))
            .into(),
        external_impact: parse_change(
            &mut errors,
            "external_impact",
            update.external_impact.as_deref(),
            parse_impact,
        ),
        external_reference: update
            .external_reference
            .map(|reference| {
                reference
                    .and_then(|text| {
                        errors
                            .check("external_reference", Label::parse_optional(&text))
                            .flatten()
                    })
                    .map(Label::into_string)
            })
            .into(),
        segment_id: update.segment_id.into(),
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(caller
        .scoped
        .update_request(id, changes, actor.person_id, version)
        .await?)
}
