//! Services: what a provider department delivers to which consumer
//! departments, with targets, intake form and the segments it ultimately serves.

use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{
    Change, Funnel, Listing, PageRequest, Scoped, StoreError, WriteTransaction, ensure_exists,
};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::services::{FieldKind, IntakeField, Priority, Targets, VolumeExpectation};
use roundtable_domain::text::Label;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyArguments;
use sqlx::any::AnyRow;
use sqlx::query::Query;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub id: i64,
    pub provider_department_id: DepartmentId,
    pub consumer_department_ids: Vec<DepartmentId>,
    pub segment_ids: Vec<i64>,
    pub name: String,
    pub description: String,
    pub definition_of_good: String,
    pub owner_person_id: Option<PersonId>,
    pub targets: Targets,
    /// Targets that differ from the default for some priorities.
    pub priority_targets: BTreeMap<Priority, Targets>,
    pub intake_fields: Vec<IntakeField>,
    pub volume: Option<VolumeExpectation>,
    pub check_sampling_rate: f64,
    pub reopen_on_not_met: bool,
    pub active: bool,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Everything a service is made of, validated.
#[derive(Debug, Clone)]
pub struct ServiceDefinition {
    pub provider_department_id: DepartmentId,
    pub consumer_department_ids: Vec<DepartmentId>,
    pub segment_ids: Vec<i64>,
    pub name: Label,
    pub description: String,
    pub definition_of_good: String,
    pub owner_person_id: Option<PersonId>,
    pub targets: Targets,
    pub priority_targets: BTreeMap<Priority, Targets>,
    pub intake_fields: Vec<IntakeField>,
    pub volume: Option<VolumeExpectation>,
    pub check_sampling_rate: f64,
    pub reopen_on_not_met: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceChanges {
    pub provider_department_id: Change<DepartmentId>,
    pub consumer_department_ids: Change<Vec<DepartmentId>>,
    pub segment_ids: Change<Vec<i64>>,
    pub name: Change<Label>,
    pub description: Change<String>,
    pub definition_of_good: Change<String>,
    pub owner_person_id: Change<Option<PersonId>>,
    pub targets: Change<Targets>,
    pub priority_targets: Change<BTreeMap<Priority, Targets>>,
    pub intake_fields: Change<Vec<IntakeField>>,
    pub volume: Change<Option<VolumeExpectation>>,
    pub check_sampling_rate: Change<f64>,
    pub reopen_on_not_met: Change<bool>,
    pub active: Change<bool>,
}

/// Which services a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServiceFilter {
    pub provider_department_id: Option<DepartmentId>,
    pub consumer_department_id: Option<DepartmentId>,
    pub active: Option<bool>,
}

#[derive(Serialize, Deserialize)]
struct StoredTargets {
    first_response_minutes: i64,
    fulfilment_minutes: i64,
}

#[derive(Serialize, Deserialize)]
struct StoredField {
    key: String,
    label: String,
    kind: String,
    required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    choices: Vec<String>,
}

fn encode_priority_targets(targets: &BTreeMap<Priority, Targets>) -> String {
    let stored: BTreeMap<&str, StoredTargets> = targets
        .iter()
        .map(|(priority, targets)| {
            (
                priority.as_str(),
                StoredTargets {
                    first_response_minutes: targets.first_response_minutes,
                    fulfilment_minutes: targets.fulfilment_minutes,
                },
            )
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "{}".to_owned())
}

fn decode_priority_targets(text: &str) -> Result<BTreeMap<Priority, Targets>, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt(format!("priority targets: {message}"));
    let stored: BTreeMap<String, StoredTargets> =
        serde_json::from_str(text).map_err(|error| corrupt(error.to_string()))?;
    stored
        .into_iter()
        .map(|(priority, targets)| {
            let priority =
                Priority::parse(&priority).map_err(|error| corrupt(error.to_string()))?;
            let targets = Targets::new(targets.first_response_minutes, targets.fulfilment_minutes)
                .map_err(|error| corrupt(error.to_string()))?;
            Ok((priority, targets))
        })
        .collect()
}

fn encode_fields(fields: &[IntakeField]) -> String {
    let stored: Vec<StoredField> = fields
        .iter()
        .map(|field| StoredField {
            key: field.key.clone(),
            label: field.label.clone(),
            kind: field.kind.as_str().to_owned(),
            required: field.required,
            choices: field.choices.clone(),
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_owned())
}

fn decode_fields(text: &str) -> Result<Vec<IntakeField>, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt(format!("intake fields: {message}"));
    let stored: Vec<StoredField> =
        serde_json::from_str(text).map_err(|error| corrupt(error.to_string()))?;
    stored
        .into_iter()
        .map(|field| {
            Ok(IntakeField {
                kind: FieldKind::parse(&field.kind).map_err(|error| corrupt(error.to_string()))?,
                key: field.key,
                label: field.label,
                required: field.required,
                choices: field.choices,
            })
        })
        .collect()
}

const COLUMNS: &str = "id, provider_department_id, name, description, definition_of_good, \
    owner_person_id, first_response_minutes, fulfilment_minutes, priority_targets, \
    intake_fields, volume_quantity, volume_period, volume_unit, check_sampling_rate, \
    reopen_on_not_met, active, version, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Service, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt(format!("service: {message}"));
    let targets = Targets::new(
        row.try_get("first_response_minutes")?,
        row.try_get("fulfilment_minutes")?,
    )
    .map_err(|error| corrupt(error.to_string()))?;
    let volume = match (
        row.try_get::<Option<i64>, _>("volume_quantity")?,
        row.try_get::<Option<String>, _>("volume_period")?,
        row.try_get::<Option<String>, _>("volume_unit")?,
    ) {
        (Some(quantity), Some(period), Some(unit)) => Some(
            VolumeExpectation::new(quantity, &period, &unit)
                .map_err(|error| corrupt(error.to_string()))?,
        ),
        _ => None,
    };
    Ok(Service {
        id: row.try_get("id")?,
        provider_department_id: DepartmentId(row.try_get("provider_department_id")?),
        consumer_department_ids: Vec::new(),
        segment_ids: Vec::new(),
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        definition_of_good: row.try_get("definition_of_good")?,
        owner_person_id: row
            .try_get::<Option<i64>, _>("owner_person_id")?
            .map(PersonId),
        targets,
        priority_targets: decode_priority_targets(&row.try_get::<String, _>("priority_targets")?)?,
        intake_fields: decode_fields(&row.try_get::<String, _>("intake_fields")?)?,
        volume,
        check_sampling_rate: row.try_get("check_sampling_rate")?,
        reopen_on_not_met: row.try_get::<i64, _>("reopen_on_not_met")? != 0,
        active: row.try_get::<i64, _>("active")? != 0,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(Service, "services", COLUMNS, from_row);

/// Attaches consumers and segments to services whose ids lie in the page's span.
async fn attach_links<'c, E>(
    executor: E,
    organization: OrganizationId,
    services: &mut [Service],
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any> + Copy,
{
    let (Some(low), Some(high)) = (
        services.iter().map(|service| service.id).min(),
        services.iter().map(|service| service.id).max(),
    ) else {
        return Ok(());
    };
    let consumers = sqlx::query(
        "SELECT service_id, department_id FROM service_consumers WHERE organization_id = \
            $1 AND service_id BETWEEN $2 AND $3 ORDER BY service_id, department_id",
    )
    .bind(organization.0)
    .bind(low)
    .bind(high)
    .fetch_all(executor)
    .await?;
    let segments = sqlx::query(
        "SELECT service_id, segment_id FROM service_segments WHERE organization_id = $1 \
            AND service_id BETWEEN $2 AND $3 ORDER BY service_id, segment_id",
    )
    .bind(organization.0)
    .bind(low)
    .bind(high)
    .fetch_all(executor)
    .await?;
    let mut consumer_map: BTreeMap<i64, Vec<DepartmentId>> = BTreeMap::new();
    for row in consumers {
        consumer_map
            .entry(row.try_get("service_id")?)
            .or_default()
            .push(DepartmentId(row.try_get("department_id")?));
    }
    let mut segment_map: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in segments {
        segment_map
            .entry(row.try_get("service_id")?)
            .or_default()
            .push(row.try_get("segment_id")?);
    }
    for service in services {
        service.consumer_department_ids = consumer_map.remove(&service.id).unwrap_or_default();
        service.segment_ids = segment_map.remove(&service.id).unwrap_or_default();
    }
    Ok(())
}

pub(crate) async fn fetch(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Service, StoreError> {
    let service = crate::rows::get::<Service, _>(&mut **transaction, organization, id).await?;
    let consumers: Vec<i64> = sqlx::query_scalar(
        "SELECT department_id FROM service_consumers WHERE organization_id = $1 AND \
            service_id = $2 ORDER BY department_id",
    )
    .bind(organization.0)
    .bind(id)
    .fetch_all(&mut **transaction)
    .await?;
    let segments: Vec<i64> = sqlx::query_scalar(
        "SELECT segment_id FROM service_segments WHERE organization_id = $1 AND \
            service_id = $2 ORDER BY segment_id",
    )
    .bind(organization.0)
    .bind(id)
    .fetch_all(&mut **transaction)
    .await?;
    Ok(Service {
        consumer_department_ids: consumers.into_iter().map(DepartmentId).collect(),
        segment_ids: segments,
        ..service
    })
}

fn sorted_unique<T: Ord + Clone>(values: &[T]) -> Vec<T> {
    let mut values = values.to_vec();
    values.sort();
    values.dedup();
    values
}

/// Checks every reference of a definition and the rule that a department does
/// not consume its own service.
async fn check_definition(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    definition: &ServiceDefinition,
) -> Result<(), StoreError> {
    crate::ensure_reference(
        transaction,
        organization,
        definition.provider_department_id,
        "provider_department_id",
    )
    .await?;
    if definition.consumer_department_ids.is_empty() {
        return Err(StoreError::invalid(
            "consumer_department_ids",
            "name at least one consumer department",
        ));
    }
    for (index, consumer) in definition.consumer_department_ids.iter().enumerate() {
        let field = format!("consumer_department_ids[{index}]");
        if *consumer == definition.provider_department_id {
            return Err(StoreError::invalid(
                &field,
                "a department cannot be a consumer of its own service",
            ));
        }
        ensure_exists(transaction, "departments", organization, consumer.0, &field).await?;
    }
    for (index, segment) in definition.segment_ids.iter().enumerate() {
        ensure_exists(
            transaction,
            "segments",
            organization,
            *segment,
            &format!("segment_ids[{index}]"),
        )
        .await?;
    }
    crate::ensure_reference(
        transaction,
        organization,
        definition.owner_person_id,
        "owner_person_id",
    )
    .await?;
    Ok(())
}

async fn write_links(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    service: i64,
    definition: &ServiceDefinition,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM service_consumers WHERE organization_id = $1 AND service_id = $2")
        .bind(organization.0)
        .bind(service)
        .execute(&mut **transaction)
        .await?;
    sqlx::query("DELETE FROM service_segments WHERE organization_id = $1 AND service_id = $2")
        .bind(organization.0)
        .bind(service)
        .execute(&mut **transaction)
        .await?;
    for consumer in sorted_unique(&definition.consumer_department_ids) {
        sqlx::query(
            "INSERT INTO service_consumers (organization_id, service_id, department_id) \
            VALUES ($1, $2, $3)",
        )
        .bind(organization.0)
        .bind(service)
        .bind(consumer.0)
        .execute(&mut **transaction)
        .await?;
    }
    for segment in sorted_unique(&definition.segment_ids) {
        sqlx::query(
            "INSERT INTO service_segments (organization_id, service_id, segment_id) VALUES \
            ($1, $2, $3)",
        )
        .bind(organization.0)
        .bind(service)
        .bind(segment)
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

fn name_conflict(error: sqlx::Error, name: &str) -> StoreError {
    match StoreError::from(error) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            field: Some("name".to_owned()),
            message: format!("the provider already offers a service named {name:?}"),
        },
        other => other,
    }
}

fn definition_of(service: Service) -> Result<ServiceDefinition, StoreError> {
    Ok(ServiceDefinition {
        provider_department_id: service.provider_department_id,
        consumer_department_ids: service.consumer_department_ids,
        segment_ids: service.segment_ids,
        name: Label::parse(&service.name)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?,
        description: service.description,
        definition_of_good: service.definition_of_good,
        owner_person_id: service.owner_person_id,
        targets: service.targets,
        priority_targets: service.priority_targets,
        intake_fields: service.intake_fields,
        volume: service.volume,
        check_sampling_rate: service.check_sampling_rate,
        reopen_on_not_met: service.reopen_on_not_met,
        active: service.active,
    })
}

fn apply(changes: ServiceChanges, current: ServiceDefinition) -> ServiceDefinition {
    ServiceDefinition {
        provider_department_id: changes
            .provider_department_id
            .or(current.provider_department_id),
        consumer_department_ids: changes
            .consumer_department_ids
            .or(current.consumer_department_ids),
        segment_ids: changes.segment_ids.or(current.segment_ids),
        name: changes.name.or(current.name),
        description: changes.description.or(current.description),
        definition_of_good: changes.definition_of_good.or(current.definition_of_good),
        owner_person_id: changes.owner_person_id.or(current.owner_person_id),
        targets: changes.targets.or(current.targets),
        priority_targets: changes.priority_targets.or(current.priority_targets),
        intake_fields: changes.intake_fields.or(current.intake_fields),
        volume: changes.volume.or(current.volume),
        check_sampling_rate: changes.check_sampling_rate.or(current.check_sampling_rate),
        reopen_on_not_met: changes.reopen_on_not_met.or(current.reopen_on_not_met),
        active: changes.active.or(current.active),
    }
}

fn volume_columns(
    volume: &Option<VolumeExpectation>,
) -> (Option<i64>, Option<&'static str>, Option<String>) {
    match volume {
        Some(volume) => (
            Some(volume.quantity),
            Some(volume.period.as_str()),
            Some(volume.unit.clone()),
        ),
        None => (None, None, None),
    }
}

/// Binds a definition's columns, provider_department_id to active, in the
/// order both the insert and the update of a service name them.
fn bind_definition<'q>(
    query: Query<'q, sqlx::Any, AnyArguments<'q>>,
    definition: &ServiceDefinition,
) -> Query<'q, sqlx::Any, AnyArguments<'q>> {
    let (quantity, period, unit) = volume_columns(&definition.volume);
    query
        .bind(definition.provider_department_id.0)
        .bind(definition.name.as_str().to_owned())
        .bind(definition.description.clone())
        .bind(definition.definition_of_good.clone())
        .bind(definition.owner_person_id.map(|owner| owner.0))
        .bind(definition.targets.first_response_minutes)
        .bind(definition.targets.fulfilment_minutes)
        .bind(encode_priority_targets(&definition.priority_targets))
        .bind(encode_fields(&definition.intake_fields))
        .bind(quantity)
        .bind(period)
        .bind(unit)
        .bind(definition.check_sampling_rate)
        .bind(i64::from(definition.reopen_on_not_met))
        .bind(i64::from(definition.active))
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_service(
        &self,
        definition: ServiceDefinition,
    ) -> Result<Service, StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Configuration, move |transaction, audit| {
            Box::pin(async move {
                check_definition(transaction, organization, &definition).await?;
                let stamp = to_db(now());
                let query = sqlx::query(
                    "INSERT INTO services (organization_id, provider_department_id, \
                            name, description, definition_of_good, owner_person_id, \
                            first_response_minutes, fulfilment_minutes, priority_targets, \
                            intake_fields, volume_quantity, volume_period, volume_unit, \
                            check_sampling_rate, reopen_on_not_met, active, created_at, \
                            updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                            $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
                )
                .bind(organization.0);
                let id: i64 = bind_definition(query, &definition)
                    .bind(stamp)
                    .fetch_one(&mut **transaction)
                    .await
                    .map_err(|error| name_conflict(error, definition.name.as_str()))?
                    .try_get("id")?;
                write_links(transaction, organization, id, &definition).await?;
                let detail = format!("created {}", definition.name);
                audit
                    .record(transaction, "service.created", id, detail)
                    .await?;
                fetch(transaction, organization, id).await
            })
        })
        .await
    }

    /// One service with its consumers, segments and intake fields; every
    /// request raised reads it, so it comes from the store's cache when only
    /// requests have been written since (see `caches`).
    pub async fn service(&self, id: i64) -> Result<Service, StoreError> {
        let caches = self.store.caches();
        let service = caches
            .services
            .get_or_fill(
                (self.organization.0, id),
                || caches.configuration.current(),
                || self.read_service(id),
            )
            .await?;
        Ok(Service::clone(&service))
    }

    async fn read_service(&self, id: i64) -> Result<Service, StoreError> {
        let mut services =
            [crate::rows::get::<Service, _>(self.store.reader(), self.organization, id).await?];
        attach_links(self.store.reader(), self.organization, &mut services).await?;
        let [service] = services;
        Ok(service)
    }

    pub async fn list_services(
        &self,
        filter: ServiceFilter,
        page: PageRequest,
    ) -> Result<Listing<Service>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM services s WHERE organization_id = $1 AND id > $2 AND \
                ($3 IS NULL OR provider_department_id = $3) AND ($4 IS NULL OR active = $4) \
                AND ($5 IS NULL OR EXISTS (SELECT 1 FROM service_consumers c WHERE \
                c.organization_id = s.organization_id AND c.service_id = s.id AND \
                c.department_id = $5)) ORDER BY id LIMIT $6"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(filter.provider_department_id.map(|department| department.0))
        .bind(filter.active.map(i64::from))
        .bind(filter.consumer_department_id.map(|department| department.0))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        attach_links(self.store.reader(), self.organization, &mut items).await?;
        Ok(page.into_listing(items, |service| service.id))
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_service(
        &self,
        id: i64,
        changes: ServiceChanges,
        expected_version: i64,
    ) -> Result<Service, StoreError> {
        let organization = self.organization;
        self.write_through(Funnel::Configuration, move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "services", organization, id).await?;
                let current = fetch(transaction, organization, id).await?;
                crate::check_version(current.version, Some(expected_version))?;
                let definition = apply(changes, definition_of(current)?);
                check_definition(transaction, organization, &definition).await?;
                let query = sqlx::query(
                    "UPDATE services SET provider_department_id = $1, name = $2, \
                            description = $3, definition_of_good = $4, owner_person_id = $5, \
                            first_response_minutes = $6, fulfilment_minutes = $7, \
                            priority_targets = $8, intake_fields = $9, volume_quantity = \
                            $10, volume_period = $11, volume_unit = $12, check_sampling_rate \
                            = $13, reopen_on_not_met = $14, active = $15, version = version \
                            + 1, updated_at = $16 WHERE organization_id = $17 AND id = $18",
                );
                bind_definition(query, &definition)
                    .bind_now_and_row(organization, id)
                    .execute(&mut **transaction)
                    .await
                    .map_err(|error| name_conflict(error, definition.name.as_str()))?;
                write_links(transaction, organization, id, &definition).await?;
                let detail = format!("updated {}", definition.name);
                audit
                    .record(transaction, "service.updated", id, detail)
                    .await?;
                fetch(transaction, organization, id).await
            })
        })
        .await
    }

    /// Deletes a service no agreement names; one that is part of an agreement
    /// is kept for the record and can be retired (`active = false`) instead.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn delete_service(
        &self,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        self.delete_audited::<Service>(
            Funnel::Configuration,
            id,
            expected_version,
            "an agreement names this service; retire it with active = false instead",
            "service.deleted",
            |service| format!("deleted {}", service.name),
        )
        .await?;
        Ok(())
    }
}
