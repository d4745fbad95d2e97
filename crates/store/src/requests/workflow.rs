//! The request workflow: transitions, edits, deferral and hand-offs.

use super::outcomes::record_outcomes;
use super::records::{Request, RequestChanges, Transition};
use super::rows::{fetch, option_text};
use super::telling::{Telling, tell};
use super::timeline::{NewEvent, bump, end_period, record_event, start_period};
use crate::time::{now, to_db};
use crate::{Change, Scoped, StoreError, ensure_exists};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::notices::RequestNotice;
use roundtable_domain::requests::{InputQuality, Status, check_transition, is_first_response};
use roundtable_domain::services::Targets;

/// A hand-off of a request to another provider department.
#[derive(Debug, Clone)]
pub struct Handoff {
    pub by: PersonId,
    pub to: DepartmentId,
    /// The new department's service it falls under, if any.
    pub service: Option<i64>,
    /// The new department's targets (of that service, or for requests without one).
    pub targets: Targets,
    pub note: String,
    pub at: Timestamp,
}

pub(super) fn still_open(request: &Request, what: &str) -> Result<(), StoreError> {
    if request.status.is_open() {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            field: None,
            message: format!("a {} request cannot be {what}", request.status.as_str()),
        })
    }
}

impl Scoped<'_> {
    /// Moves a request to `to` if the workflow allows it for someone with `roles`.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn transition_request(
        &self,
        id: i64,
        transition: Transition,
    ) -> Result<Request, StoreError> {
        let organization = self.organization;
        let context = self.clock_context().await?;
        let Transition {
            to,
            actor,
            roles,
            details,
            expected_version,
            at,
        } = transition;
        self.write_request(id, move |transaction, current| {
            Box::pin(async move {
                crate::check_version(current.version, expected_version)?;
                check_transition(current.status, to, roles, at, current.resolved_at).map_err(
                    |error| {
                        if error.is_forbidden() {
                            StoreError::Forbidden(error.to_string())
                        } else {
                            StoreError::Conflict {
                                field: None,
                                message: error.to_string(),
                            }
                        }
                    },
                )?;
                let stamp = to_db(at);
                // The clocks: close the current period, open the next one that applies.
                end_period(transaction, organization, id, &stamp).await?;
                match to {
                    Status::WaitingOnRequester => {
                        start_period(
                            transaction,
                            organization,
                            id,
                            current.provider_department_id,
                            true,
                            &stamp,
                        )
                        .await?
                    }
                    Status::Acknowledged | Status::InProgress => {
                        start_period(
                            transaction,
                            organization,
                            id,
                            current.provider_department_id,
                            false,
                            &stamp,
                        )
                        .await?
                    }
                    _ => {}
                }
                let first_response =
                    current.first_response_at.is_none() && roles.provider && is_first_response(to);
                let resolved_at = match to {
                    Status::Resolved => Some(stamp.clone()),
                    Status::Closed => current.resolved_at.map(to_db),
                    _ => None,
                };
                let (quality, quality_note) = match &details.input_quality {
                    Some((quality, note)) if to == Status::Resolved => {
                        (Some(quality.as_str()), note.clone())
                    }
                    _ => (
                        current.input_quality.map(InputQuality::as_str),
                        current.input_quality_note.clone(),
                    ),
                };
                sqlx::query(
                    "UPDATE requests SET status = $1, first_response_at = \
                            COALESCE(first_response_at, $2), resolved_at = $3, closed_at = \
                            $4, input_quality = $5, input_quality_note = $6, version = \
                            version + 1, updated_at = $7 WHERE organization_id = $8 AND id = \
                            $9",
                )
                .bind(to.as_str())
                .bind(first_response.then(|| stamp.clone()))
                .bind(resolved_at)
                .bind((to == Status::Closed).then(|| stamp.clone()))
                .bind(quality)
                .bind(quality_note)
                .bind(stamp.clone())
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                let kind = match (current.status, to) {
                    (Status::Resolved, Status::InProgress) => "reopened",
                    _ => "status_changed",
                };
                let mut after = serde_json::json!({ "status": to.as_str() });
                if let (Some((quality, _)), Status::Resolved) = (&details.input_quality, to) {
                    after["input_quality"] = serde_json::Value::String(quality.as_str().to_owned());
                }
                record_event(
                    transaction,
                    organization,
                    NewEvent::new(id, Some(actor), kind, &stamp)
                        .changing(
                            serde_json::json!({ "status": current.status.as_str() }),
                            after,
                        )
                        .noting(&details.note),
                )
                .await?;
                let request =
                    record_outcomes(transaction, organization, id, &context, &current).await?;
                if to == Status::Resolved {
                    crate::checks::consider_check(transaction, organization, &request, actor, at)
                        .await?;
                }
                Ok(request)
            })
        })
        .await
    }

    /// Changes a request's details; a new priority brings new targets while the
    /// elapsed and paused time (in the periods) stays as it was.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, actor = actor.0))]
    pub async fn update_request(
        &self,
        id: i64,
        changes: RequestChanges,
        actor: PersonId,
        expected_version: i64,
    ) -> Result<Request, StoreError> {
        let organization = self.organization;
        let context = self.clock_context().await?;
        self.write_request(id, move |transaction, current| {
            Box::pin(async move {
                crate::check_version(current.version, Some(expected_version))?;
                if let Change::Set(Some(assignee)) = changes.assignee_person_id {
                    crate::ensure_reference(
                        transaction,
                        organization,
                        assignee,
                        "assignee_person_id",
                    )
                    .await?;
                }
                if let Change::Set(Some(segment)) = changes.segment_id {
                    ensure_exists(transaction, "segments", organization, segment, "segment_id")
                        .await?;
                }
                let mut before = serde_json::Map::new();
                let mut after = serde_json::Map::new();
                let mut note = |field: &str, old: serde_json::Value, new: serde_json::Value| {
                    if old != new {
                        before.insert(field.to_owned(), old);
                        after.insert(field.to_owned(), new);
                    }
                };
                let title = changes.title.or(current.title.clone());
                note("title", current.title.clone().into(), title.clone().into());
                let description = changes.description.or(current.description.clone());
                note(
                    "description",
                    current.description.clone().into(),
                    description.clone().into(),
                );
                let priority = changes.priority.or(current.priority);
                note(
                    "priority",
                    current.priority.as_str().into(),
                    priority.as_str().into(),
                );
                let targets = changes.targets.or(current.targets);
                note(
                    "fulfilment_target_minutes",
                    current.targets.fulfilment_minutes.into(),
                    targets.fulfilment_minutes.into(),
                );
                note(
                    "first_response_target_minutes",
                    current.targets.first_response_minutes.into(),
                    targets.first_response_minutes.into(),
                );
                let assignee = changes.assignee_person_id.or(current.assignee_person_id);
                note(
                    "assignee_person_id",
                    option_text(current.assignee_person_id.map(|p| p.0)),
                    option_text(assignee.map(|p| p.0)),
                );
                let impact = changes.external_impact.or(current.external_impact);
                note(
                    "external_impact",
                    current.external_impact.as_str().into(),
                    impact.as_str().into(),
                );
                let reference = changes
                    .external_reference
                    .or(current.external_reference.clone());
                note(
                    "external_reference",
                    option_text(current.external_reference.clone()),
                    option_text(reference.clone()),
                );
                let segment = changes.segment_id.or(current.segment_id);
                note(
                    "segment_id",
                    option_text(current.segment_id),
                    option_text(segment),
                );
                let stamp = to_db(now());
                sqlx::query(
                    "UPDATE requests SET title = $1, description = $2, priority = $3, \
                            first_response_target_minutes = $4, fulfilment_target_minutes = \
                            $5, assignee_person_id = $6, external_impact = $7, \
                            external_reference = $8, segment_id = $9, version = version + 1, \
                            updated_at = $10 WHERE organization_id = $11 AND id = $12",
                )
                .bind(title)
                .bind(description)
                .bind(priority.as_str())
                .bind(targets.first_response_minutes)
                .bind(targets.fulfilment_minutes)
                .bind(assignee.map(|person| person.0))
                .bind(impact.as_str())
                .bind(reference)
                .bind(segment)
                .bind(stamp.clone())
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                if !after.is_empty() {
                    record_event(
                        transaction,
                        organization,
                        NewEvent::new(id, Some(actor), "updated", &stamp)
                            .changing(before.into(), after.into()),
                    )
                    .await?;
                }
                let request =
                    record_outcomes(transaction, organization, id, &context, &current).await?;
                if let Some(assignee) =
                    assignee.filter(|assignee| Some(*assignee) != current.assignee_person_id)
                {
                    let telling = Telling {
                        recipients: &[assignee],
                        actor: Some(actor),
                        notice: RequestNotice::Assigned,
                    };
                    tell(transaction, organization, &request, telling, &stamp).await?;
                }
                Ok(request)
            })
        })
        .await
    }

    /// Defers a request because an external customer must come first. The
    /// clock does not pause: internal customers still count.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, by = by.0))]
    pub async fn defer_request(
        &self,
        id: i64,
        by: PersonId,
        reason: String,
        new_eta: Timestamp,
        at: Timestamp,
    ) -> Result<Request, StoreError> {
        let organization = self.organization;
        self.write_request(id, move |transaction, request| {
            Box::pin(async move {
                still_open(&request, "deferred")?;
                if new_eta <= at {
                    return Err(StoreError::invalid("new_eta", "must be in the future"));
                }
                let stamp = to_db(at);
                sqlx::query(
                    "UPDATE requests SET deferred_until = $1, deferral_reason = $2 \
                        WHERE organization_id = $3 AND id = $4",
                )
                .bind(to_db(new_eta))
                .bind(reason.clone())
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                let before = serde_json::json!({
                    "deferred_until": option_text(request.deferred_until),
                });
                let after = serde_json::json!({ "deferred_until": new_eta.to_string() });
                record_event(
                    transaction,
                    organization,
                    NewEvent::new(id, Some(by), "deferred", &stamp)
                        .changing(before, after)
                        .noting(&reason),
                )
                .await?;
                bump(transaction, organization, id, &stamp).await?;
                let notice = RequestNotice::Deferred {
                    new_eta,
                    reason: &reason,
                };
                let telling = Telling {
                    recipients: &[request.requester_person_id],
                    actor: Some(by),
                    notice,
                };
                tell(transaction, organization, &request, telling, &stamp).await?;
                fetch(transaction, organization, id).await
            })
        })
        .await
    }

    /// Hands a request to another provider department. The time the first
    /// department held it stays on its own clock; the new department's clock
    /// starts now, on its calendar, with the targets given.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn transfer_request(&self, id: i64, handoff: Handoff) -> Result<Request, StoreError> {
        let Handoff {
            by,
            to,
            service,
            targets,
            note,
            at,
        } = handoff;
        let organization = self.organization;
        let context = self.clock_context().await?;
        self.write_request(id, move |transaction, request| {
            Box::pin(async move {
                still_open(&request, "transferred")?;
                crate::ensure_reference(transaction, organization, to, "department_id").await?;
                if to == request.provider_department_id {
                    return Err(StoreError::invalid(
                        "department_id",
                        "the request is already \
                            with this department",
                    ));
                }
                let stamp = to_db(at);
                let paused = request.status == Status::WaitingOnRequester;
                end_period(transaction, organization, id, &stamp).await?;
                start_period(transaction, organization, id, to, paused, &stamp).await?;
                sqlx::query(
                    "UPDATE requests SET provider_department_id = $1, service_id = \
                            $2, assignee_person_id = NULL, first_response_target_minutes = \
                            $3, fulfilment_target_minutes = $4, first_response_at = NULL, \
                            committed_due_at = NULL WHERE organization_id = $5 AND id = $6",
                )
                .bind(to.0)
                .bind(service)
                .bind(targets.first_response_minutes)
                .bind(targets.fulfilment_minutes)
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                let before = serde_json::json!({
                    "provider_department_id": request.provider_department_id.0,
                    "service_id": request.service_id,
                });
                let after = serde_json::json!({
                    "provider_department_id": to.0,
                    "service_id": service,
                });
                record_event(
                    transaction,
                    organization,
                    NewEvent::new(id, Some(by), "transferred", &stamp)
                        .changing(before, after)
                        .noting(&note),
                )
                .await?;
                bump(transaction, organization, id, &stamp).await?;
                record_outcomes(transaction, organization, id, &context, &request).await
            })
        })
        .await
    }
}
