//! Services: what a provider department delivers to consumer departments,
//! with targets in business minutes of the provider's calendar, an intake
//! form, a volume expectation and the customer segments it ultimately
//! serves. Everyone signed in reads the catalogue; a provider's leads (and
//! administrators) add, change and delete its services.
//!
//! The segments a service serves are also the only ones a request for it
//! may name ([`request_segment`]), so every request traces through its
//! service to an external customer.

use crate::{AppError, Caller, policy};
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::services::{
    IntakeField, IntakeFieldInput, Priority, Targets, VolumeExpectation, parse_intake_fields,
    parse_sampling_rate,
};
use roundtable_domain::text::Label;
use roundtable_store::departments::Department;
use roundtable_store::services::{Service, ServiceChanges, ServiceDefinition, ServiceFilter};
use roundtable_store::{Change, Listing, PageRequest, StoreError};
use std::collections::BTreeMap;

/// The longest description or definition of good, in characters.
pub const MAX_TEXT: usize = 10_000;

/// First-response and fulfilment targets as they arrive, in business minutes.
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetsInput {
    pub first_response_minutes: i64,
    pub fulfilment_minutes: i64,
}

/// "200 qualified leads a month", as it arrives.
#[derive(Debug, Clone, Default)]
pub struct VolumeInput {
    pub quantity: i64,
    /// `week`, `month` or `quarter`.
    pub period: String,
    pub unit: String,
}

/// A new service as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct ServiceInput {
    pub provider_department_id: i64,
    pub consumer_department_ids: Vec<i64>,
    pub segment_ids: Vec<i64>,
    pub name: String,
    pub description: String,
    pub definition_of_good: String,
    pub owner_person_id: Option<i64>,
    pub targets: TargetsInput,
    /// By priority name (`low`, `normal`, `high`, `urgent`).
    pub priority_targets: BTreeMap<String, TargetsInput>,
    pub intake_fields: Vec<IntakeFieldInput>,
    pub volume: Option<VolumeInput>,
    /// Defaults to 1 (every resolved request is checked).
    pub check_sampling_rate: Option<f64>,
    /// Defaults to true.
    pub reopen_on_not_met: Option<bool>,
}

/// A change to a service as it arrives: only the fields present change.
#[derive(Debug, Clone, Default)]
pub struct ServiceEdit {
    pub provider_department_id: Option<i64>,
    pub consumer_department_ids: Option<Vec<i64>>,
    pub segment_ids: Option<Vec<i64>>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub definition_of_good: Option<String>,
    /// `Some(None)` clears the owner.
    pub owner_person_id: Option<Option<i64>>,
    pub first_response_minutes: Option<i64>,
    pub fulfilment_minutes: Option<i64>,
    pub priority_targets: Option<BTreeMap<String, TargetsInput>>,
    pub intake_fields: Option<Vec<IntakeFieldInput>>,
    /// `Some(None)` removes the volume expectation.
    pub volume: Option<Option<VolumeInput>>,
    pub check_sampling_rate: Option<f64>,
    pub reopen_on_not_met: Option<bool>,
    pub active: Option<bool>,
    /// The version the caller read.
    pub expected_version: i64,
}

fn long_text(errors: &mut ValidationErrors, field: &str, text: &str) -> String {
    if text.chars().count() > MAX_TEXT {
        errors.push(field, format!("must be at most {MAX_TEXT} characters"));
    }
    text.trim().to_owned()
}

fn parse_priority_targets(
    errors: &mut ValidationErrors,
    input: BTreeMap<String, TargetsInput>,
) -> BTreeMap<Priority, Targets> {
    let mut parsed = BTreeMap::new();
    for (priority, targets) in input {
        let field = format!("priority_targets.{priority}");
        let priority = errors.check(&field, Priority::parse(&priority));
        let targets = errors.check(
            &field,
            Targets::new(targets.first_response_minutes, targets.fulfilment_minutes),
        );
        if let (Some(priority), Some(targets)) = (priority, targets) {
            parsed.insert(priority, targets);
        }
    }
    parsed
}

fn parse_fields(errors: &mut ValidationErrors, input: Vec<IntakeFieldInput>) -> Vec<IntakeField> {
    errors
        .check("intake_fields", parse_intake_fields(input))
        .unwrap_or_default()
}

fn parse_volume(
    errors: &mut ValidationErrors,
    input: Option<VolumeInput>,
) -> Option<VolumeExpectation> {
    input.and_then(|volume| {
        errors.check(
            "volume",
            VolumeExpectation::new(volume.quantity, &volume.period, &volume.unit),
        )
    })
}

fn parse_rate(errors: &mut ValidationErrors, rate: Option<f64>) -> Option<f64> {
    rate.and_then(|rate| errors.check("check_sampling_rate", parse_sampling_rate(rate)))
}

fn departments(ids: Vec<i64>) -> Vec<DepartmentId> {
    ids.into_iter().map(DepartmentId).collect()
}

impl ServiceInput {
    /// The service checked for `provider` (found and allowed already),
    /// every problem at once.
    pub fn parse(self, provider: DepartmentId) -> Result<ServiceDefinition, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", Label::parse(&self.name));
        let description = long_text(&mut errors, "description", &self.description);
        let definition_of_good =
            long_text(&mut errors, "definition_of_good", &self.definition_of_good);
        let targets = errors.check(
            "",
            Targets::new(
                self.targets.first_response_minutes,
                self.targets.fulfilment_minutes,
            ),
        );
        let priority_targets = parse_priority_targets(&mut errors, self.priority_targets);
        let intake_fields = parse_fields(&mut errors, self.intake_fields);
        let volume = parse_volume(&mut errors, self.volume);
        let rate = parse_rate(&mut errors, self.check_sampling_rate).unwrap_or(1.0);
        match (name, targets) {
            (Some(name), Some(targets)) if errors.is_empty() => Ok(ServiceDefinition {
                provider_department_id: provider,
                consumer_department_ids: departments(self.consumer_department_ids),
                segment_ids: self.segment_ids,
                name,
                description,
                definition_of_good,
                owner_person_id: self.owner_person_id.map(PersonId),
                targets,
                priority_targets,
                intake_fields,
                volume,
                check_sampling_rate: rate,
                reopen_on_not_met: self.reopen_on_not_met.unwrap_or(true),
                active: true,
            }),
            _ => Err(errors),
        }
    }
}

impl ServiceEdit {
    /// The changes checked against the service as it is (`current`: a
    /// target left out keeps its value), every problem at once.
    pub fn parse(self, current: &Service) -> Result<ServiceChanges, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let targets = if self.first_response_minutes.is_some() || self.fulfilment_minutes.is_some()
        {
            errors
                .check(
                    "",
                    Targets::new(
                        self.first_response_minutes
                            .unwrap_or(current.targets.first_response_minutes),
                        self.fulfilment_minutes
                            .unwrap_or(current.targets.fulfilment_minutes),
                    ),
                )
                .map_or(Change::Keep, Change::Set)
        } else {
            Change::Keep
        };
        let changes = ServiceChanges {
            provider_department_id: self.provider_department_id.map(DepartmentId).into(),
            consumer_department_ids: self.consumer_department_ids.map(departments).into(),
            segment_ids: self.segment_ids.into(),
            name: crate::input::parse_change(
                &mut errors,
                "name",
                self.name.as_deref(),
                Label::parse,
            ),
            description: self
                .description
                .map(|text| long_text(&mut errors, "description", &text))
                .into(),
            definition_of_good: self
                .definition_of_good
                .map(|text| long_text(&mut errors, "definition_of_good", &text))
                .into(),
            owner_person_id: self.owner_person_id.map(|owner| owner.map(PersonId)).into(),
            targets,
            priority_targets: self
                .priority_targets
                .map(|targets| parse_priority_targets(&mut errors, targets))
                .into(),
            intake_fields: self
                .intake_fields
                .map(|fields| parse_fields(&mut errors, fields))
                .into(),
            volume: self
                .volume
                .map(|volume| parse_volume(&mut errors, volume))
                .into(),
            check_sampling_rate: parse_rate(&mut errors, self.check_sampling_rate).into(),
            reopen_on_not_met: self.reopen_on_not_met.into(),
            active: self.active.into(),
        };
        errors.finish(|| changes)
    }
}

/// The customer segment a request for `service` may name: none, or one of
/// the segments the service serves. A request traces through its service
/// to the external customer it ultimately serves (PRODUCT: "every internal
/// service traces to an external customer"), so a segment the service does
/// not serve is refused under `segment_id`, by the API and the request
/// form alike, never dropped in silence. Requests without a service may
/// name any segment.
pub fn request_segment(
    service: &Service,
    segment: Option<i64>,
) -> Result<Option<i64>, ValidationErrors> {
    match segment {
        Some(segment) if !service.segment_ids.contains(&segment) => Err(ValidationErrors::single(
            "segment_id",
            if service.segment_ids.is_empty() {
                "must be left out: this service names no customer segment".to_owned()
            } else {
                "must be one of the customer segments this service serves".to_owned()
            },
        )),
        other => Ok(other),
    }
}

/// The provider named in the input: one that does not exist is the input's
/// fault, reported under `provider_department_id`.
async fn named_provider(caller: &Caller<'_>, id: i64) -> Result<Department, AppError> {
    caller
        .scoped
        .department(DepartmentId(id))
        .await
        .map_err(|error| match error {
            StoreError::NotFound => {
                AppError::invalid("provider_department_id", "no such department")
            }
            other => other.into(),
        })
}

/// One page of the catalogue (anyone signed in).
#[tracing::instrument(skip_all, fields(provider = ?filter.provider_department_id, consumer = ?filter.consumer_department_id))]
pub async fn list(
    caller: &Caller<'_>,
    filter: ServiceFilter,
    page: PageRequest,
) -> Result<Listing<Service>, AppError> {
    Ok(caller.scoped.list_services(filter, page).await?)
}

/// One service (anyone signed in).
#[tracing::instrument(skip_all, fields(service = id))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<Service, AppError> {
    Ok(caller.scoped.service(id).await?)
}

/// A service the caller may change (its provider's leads, administrators).
#[tracing::instrument(skip_all, fields(service = id))]
pub async fn editable(caller: &Caller<'_>, id: i64) -> Result<Service, AppError> {
    let service = caller.scoped.service(id).await?;
    let provider = caller
        .scoped
        .department(service.provider_department_id)
        .await?;
    policy::manage_service(caller.actor, &provider)?;
    Ok(service)
}

/// Adds a service to the catalogue (the provider's leads, administrators).
#[tracing::instrument(skip_all, fields(provider = input.provider_department_id))]
pub async fn create(caller: &Caller<'_>, input: ServiceInput) -> Result<Service, AppError> {
    let provider = named_provider(caller, input.provider_department_id).await?;
    policy::manage_service(caller.actor, &provider)?;
    let definition = input.parse(provider.id)?;
    Ok(caller.scoped.create_service(definition).await?)
}

/// Changes a service at the version the caller read (the provider's leads,
/// administrators; moving it to another provider needs that one's too).
#[tracing::instrument(skip_all, fields(service = id, expected_version = edit.expected_version))]
pub async fn update(caller: &Caller<'_>, id: i64, edit: ServiceEdit) -> Result<Service, AppError> {
    let current = editable(caller, id).await?;
    if let Some(provider) = edit.provider_department_id {
        let new_provider = named_provider(caller, provider).await?;
        policy::manage_service(caller.actor, &new_provider)?;
    }
    let expected_version = edit.expected_version;
    let changes = edit.parse(&current)?;
    Ok(caller
        .scoped
        .update_service(id, changes, expected_version)
        .await?)
}

/// Deletes a service no agreement names (the provider's leads, administrators).
#[tracing::instrument(skip_all, fields(service = id, ?expected_version))]
pub async fn delete(
    caller: &Caller<'_>,
    id: i64,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    editable(caller, id).await?;
    Ok(caller.scoped.delete_service(id, expected_version).await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::input::fields;

    fn input() -> ServiceInput {
        ServiceInput {
            provider_department_id: 1,
            consumer_department_ids: vec![2],
            name: "Qualified leads".to_owned(),
            targets: TargetsInput {
                first_response_minutes: 60,
                fulfilment_minutes: 600,
            },
            ..ServiceInput::default()
        }
    }

    #[test]
    fn a_service_defaults_to_checking_every_request_and_reopening() {
        let definition = input().parse(DepartmentId(1)).unwrap();
        assert_eq!(definition.check_sampling_rate, 1.0);
        assert!(definition.reopen_on_not_met && definition.active);
        assert_eq!(definition.consumer_department_ids, [DepartmentId(2)]);
    }

    #[test]
    fn every_problem_of_a_service_is_named_at_once() {
        let errors = ServiceInput {
            name: String::new(),
            priority_targets: BTreeMap::from([(
                "whenever".to_owned(),
                TargetsInput {
                    first_response_minutes: 10,
                    fulfilment_minutes: 5,
                },
            )]),
            check_sampling_rate: Some(2.0),
            ..input()
        }
        .parse(DepartmentId(1))
        .unwrap_err();
        let fields = fields(&errors);
        assert_eq!(fields.first(), Some(&"name"));
        assert!(fields.contains(&"priority_targets.whenever"));
        assert_eq!(fields.last(), Some(&"check_sampling_rate"));
    }

    #[test]
    fn a_request_names_only_a_segment_its_service_serves() {
        let mut service = Service {
            id: 1,
            provider_department_id: DepartmentId(1),
            consumer_department_ids: vec![DepartmentId(2)],
            segment_ids: vec![7],
            name: "Qualified leads".to_owned(),
            description: String::new(),
            definition_of_good: String::new(),
            owner_person_id: None,
            targets: Targets::new(60, 600).unwrap(),
            priority_targets: BTreeMap::new(),
            intake_fields: Vec::new(),
            volume: None,
            check_sampling_rate: 1.0,
            reopen_on_not_met: true,
            active: true,
            version: 1,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        };
        assert_eq!(request_segment(&service, None).unwrap(), None);
        assert_eq!(request_segment(&service, Some(7)).unwrap(), Some(7));
        let errors = request_segment(&service, Some(8)).unwrap_err();
        assert_eq!(fields(&errors), ["segment_id"]);
        assert!(errors.0[0].message.contains("segments this service serves"));
        service.segment_ids.clear();
        let errors = request_segment(&service, Some(7)).unwrap_err();
        assert!(errors.0[0].message.contains("names no customer segment"));
    }
}
