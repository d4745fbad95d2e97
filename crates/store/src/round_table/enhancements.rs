//! Enhancements: proposed by departments, confirmed by each, sponsored by
//! an executive, delivered or declined.

use super::{conflict, corrupt, person};
use crate::objectives::placeholders;
use crate::time::{instant, now, optional_instant, to_db};
use crate::{Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::notices;
use roundtable_domain::round_table::{EnhancementStatus, EnhancementStepError};
use roundtable_domain::text::Label;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Enhancement {
    pub id: i64,
    pub objective_id: i64,
    pub title: String,
    pub description: String,
    pub status: EnhancementStatus,
    pub department_ids: Vec<DepartmentId>,
    /// Each proposing department's confirmation, in `department_ids` order.
    pub confirmations: Vec<EnhancementConfirmation>,
    pub sponsor_person_id: Option<PersonId>,
    pub sponsored_at: Option<Timestamp>,
    pub decline_reason: Option<String>,
    pub proposed_by: Option<PersonId>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Whether (and when, and by whom) one proposing department confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct EnhancementConfirmation {
    pub department_id: DepartmentId,
    pub confirmed_at: Option<Timestamp>,
    pub confirmed_by: Option<PersonId>,
}

impl Enhancement {
    /// The proposing departments that have not confirmed yet.
    pub fn awaiting_confirmation(&self) -> Vec<DepartmentId> {
        self.confirmations
            .iter()
            .filter(|confirmation| confirmation.confirmed_at.is_none())
            .map(|confirmation| confirmation.department_id)
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct NewEnhancement {
    pub objective_id: i64,
    pub title: Label,
    pub description: String,
    pub department_ids: Vec<DepartmentId>,
}

const ENHANCEMENT_COLUMNS: &str = "id, objective_id, title, description, status, \
    sponsor_person_id, sponsored_at, decline_reason, proposed_by, version, created_at, \
    updated_at";

fn enhancement_from_row(row: &AnyRow) -> Result<Enhancement, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Enhancement {
        id: row.try_get("id")?,
        objective_id: row.try_get("objective_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        status: EnhancementStatus::parse(&status)
            .map_err(|_| corrupt("enhancement status", &status))?,
        department_ids: Vec::new(),
        confirmations: Vec::new(),
        sponsor_person_id: person(row, "sponsor_person_id")?,
        sponsored_at: optional_instant(row, "sponsored_at")?,
        decline_reason: row.try_get("decline_reason")?,
        proposed_by: person(row, "proposed_by")?,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(
    Enhancement,
    "enhancements",
    ENHANCEMENT_COLUMNS,
    enhancement_from_row
);

async fn attach_departments<'e, E>(
    executor: E,
    organization: OrganizationId,
    enhancements: &mut [Enhancement],
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if enhancements.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT enhancement_id, department_id, confirmed_at, confirmed_by FROM \
            enhancement_departments WHERE organization_id = $1 AND enhancement_id IN ({}) \
            ORDER BY department_id",
        placeholders(2, enhancements.len())
    );
    let mut query = sqlx::query(&sql).bind(organization.0);
    for enhancement in enhancements.iter() {
        query = query.bind(enhancement.id);
    }
    for row in query.fetch_all(executor).await? {
        let enhancement_id: i64 = row.try_get("enhancement_id")?;
        let department = DepartmentId(row.try_get("department_id")?);
        let confirmation = EnhancementConfirmation {
            department_id: department,
            confirmed_at: optional_instant(&row, "confirmed_at")?,
            confirmed_by: person(&row, "confirmed_by")?,
        };
        if let Some(enhancement) = enhancements
            .iter_mut()
            .find(|enhancement| enhancement.id == enhancement_id)
        {
            enhancement.department_ids.push(department);
            enhancement.confirmations.push(confirmation);
        }
    }
    Ok(())
}

async fn fetch_enhancement(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Enhancement, StoreError> {
    let mut enhancements =
        vec![crate::rows::get::<Enhancement, _>(&mut **transaction, organization, id).await?];
    attach_departments(&mut **transaction, organization, &mut enhancements).await?;
    enhancements.pop().ok_or(StoreError::NotFound)
}

/// "Sales and IT": the departments' names, for messages.
async fn department_names(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    departments: &[DepartmentId],
) -> Result<String, StoreError> {
    let mut names = Vec::new();
    for department in departments {
        let name: Option<String> = sqlx::query_scalar(
            "SELECT name FROM departments WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization.0)
        .bind(department.0)
        .fetch_optional(&mut **transaction)
        .await?;
        names.push(name.unwrap_or_else(|| format!("department {}", department.0)));
    }
    Ok(match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    })
}

/// The departments a person leads.
async fn departments_led_by(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    person: PersonId,
) -> Result<Vec<DepartmentId>, StoreError> {
    let departments: Vec<i64> = sqlx::query_scalar(
        "SELECT department_id FROM department_leads WHERE organization_id = $1 AND \
            person_id = $2 ORDER BY department_id",
    )
    .bind(organization.0)
    .bind(person.0)
    .fetch_all(&mut **transaction)
    .await?;
    Ok(departments.into_iter().map(DepartmentId).collect())
}

/// Every department named on it has confirmed: the executives decide next.
async fn tell_executives_to_sponsor(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    actor: Option<PersonId>,
    enhancement: &Enhancement,
) -> Result<(), StoreError> {
    let executives: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM people WHERE organization_id = $1 AND role = 'executive' AND \
            active = 1 ORDER BY id",
    )
    .bind(organization.0)
    .fetch_all(&mut **transaction)
    .await?;
    let executives: Vec<PersonId> = executives.into_iter().map(PersonId).collect();
    let wording = notices::to_sponsor(&enhancement.title);
    let notice = crate::notifications::Notice {
        recipient: PersonId(0),
        kind: "enhancement_status",
        subject_kind: "enhancement",
        subject_id: Some(enhancement.id),
        title: wording.title,
        body: wording.body,
        link: format!("/enhancements/{}", enhancement.id),
    };
    crate::notifications::notify_each(
        transaction,
        organization,
        &executives,
        actor,
        notice,
        &to_db(now()),
    )
    .await
}

/// Locks the enhancement for the rest of the write and reads it.
async fn locked(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Enhancement, StoreError> {
    crate::lock_row(transaction, "enhancements", organization, id).await?;
    fetch_enhancement(transaction, organization, id).await
}

/// Tells `recipients` of a step of enhancement `id`, in `wording`, as the
/// doing of the change's actor.
async fn tell_status(
    transaction: &mut WriteTransaction,
    change: crate::audit::Context,
    id: i64,
    recipients: &[PersonId],
    wording: notices::Wording,
    stamp: &str,
) -> Result<(), StoreError> {
    let notice = crate::notifications::Notice {
        recipient: PersonId(0),
        kind: "enhancement_status",
        subject_kind: "enhancement",
        subject_id: Some(id),
        title: wording.title,
        body: wording.body,
        link: format!("/enhancements/{id}"),
    };
    let organization = change.organization;
    crate::notifications::notify_each(
        transaction,
        organization,
        recipients,
        change.actor,
        notice,
        stamp,
    )
    .await
}

/// Inserts an enhancement, once the references it makes are checked, and records
/// it in the audit log.
async fn insert_enhancement(
    transaction: &mut WriteTransaction,
    audit: crate::audit::Context,
    new: NewEnhancement,
) -> Result<Enhancement, StoreError> {
    let organization = audit.organization;
    crate::objectives::ensure_objective(transaction, organization, new.objective_id).await?;
    for (index, department) in new.department_ids.iter().enumerate() {
        crate::ensure_reference(
            transaction,
            organization,
            *department,
            &format!("department_ids[{index}]"),
        )
        .await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO enhancements (organization_id, objective_id, title, \
                description, proposed_by, created_at, updated_at) VALUES ($1, \
                $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(organization.0)
    .bind(new.objective_id)
    .bind(new.title.as_str().to_owned())
    .bind(new.description.clone())
    .bind(audit.actor.map(|person| person.0))
    .bind(to_db(now()))
    .fetch_one(&mut **transaction)
    .await?;
    // The proposer speaks for the departments they lead; each
    // other department confirms for itself.
    let proposer_leads = match audit.actor {
        Some(proposer) => departments_led_by(transaction, organization, proposer).await?,
        None => Vec::new(),
    };
    let stamp = to_db(now());
    for department in &new.department_ids {
        let confirmed = proposer_leads.contains(department);
        sqlx::query(
            "INSERT INTO enhancement_departments (organization_id, \
                    enhancement_id, department_id, confirmed_at, confirmed_by) \
                    VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(organization.0)
        .bind(id)
        .bind(department.0)
        .bind(confirmed.then(|| stamp.clone()))
        .bind(if confirmed {
            audit.actor.map(|person| person.0)
        } else {
            None
        })
        .execute(&mut **transaction)
        .await?;
    }
    audit
        .record(
            transaction,
            "enhancement.proposed",
            id,
            format!("proposed {}", new.title.as_str()),
        )
        .await?;
    let enhancement = fetch_enhancement(transaction, organization, id).await?;
    let awaiting = enhancement.awaiting_confirmation();
    let mut recipients = Vec::new();
    for department in &awaiting {
        recipients
            .extend(crate::notifications::leads_of(transaction, organization, department.0).await?);
    }
    let wording = notices::confirm_to_co_propose(&enhancement.title);
    tell_status(transaction, audit, id, &recipients, wording, &stamp).await?;
    if awaiting.is_empty() {
        tell_executives_to_sponsor(transaction, organization, audit.actor, &enhancement).await?;
    }
    Ok(enhancement)
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_enhancement(&self, new: NewEnhancement) -> Result<Enhancement, StoreError> {
        self.write_audited(move |transaction, audit| {
            Box::pin(insert_enhancement(transaction, audit, new))
        })
        .await
    }

    pub async fn enhancement(&self, id: i64) -> Result<Enhancement, StoreError> {
        let mut enhancements = vec![
            crate::rows::get::<Enhancement, _>(self.store.reader(), self.organization, id).await?,
        ];
        attach_departments(self.store.reader(), self.organization, &mut enhancements).await?;
        enhancements.pop().ok_or(StoreError::NotFound)
    }

    pub async fn list_enhancements(
        &self,
        status: Option<EnhancementStatus>,
        page: PageRequest,
    ) -> Result<Listing<Enhancement>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENHANCEMENT_COLUMNS} FROM enhancements WHERE organization_id = $1 AND id > $2 \
             AND ($3 IS NULL OR status = $3) ORDER BY id LIMIT $4"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(status.map(EnhancementStatus::as_str))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let items = rows
            .iter()
            .map(enhancement_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut listing = page.into_listing(items, |enhancement| enhancement.id);
        attach_departments(self.store.reader(), self.organization, &mut listing.items).await?;
        Ok(listing)
    }

    /// Moves an enhancement along its way (`sponsored` records this scope's
    /// person as the sponsor). A step the workflow refuses is a conflict on
    /// `status`; a decline without a reason is invalid at `reason`.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn advance_enhancement(
        &self,
        id: i64,
        next: EnhancementStatus,
        reason: Option<String>,
        expected_version: Option<i64>,
    ) -> Result<Enhancement, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let current = locked(transaction, organization, id).await?;
                crate::check_version(current.version, expected_version)?;
                let awaiting = current.awaiting_confirmation();
                let status = match current
                    .status
                    .move_to(next, reason.as_deref(), awaiting.len())
                {
                    Ok(status) => status,
                    Err(EnhancementStepError::Transition(transition)) => {
                        return Err(conflict(transition));
                    }
                    Err(EnhancementStepError::Invalid(errors)) => {
                        return Err(StoreError::Invalid(errors));
                    }
                    Err(EnhancementStepError::AwaitingConfirmation(_)) => {
                        let names = department_names(transaction, organization, &awaiting).await?;
                        return Err(StoreError::Conflict {
                            field: Some("status".to_owned()),
                            message: format!(
                                "cannot be sponsored before every proposing department \
                                    confirms it; waiting for {names}"
                            ),
                        });
                    }
                };
                let stamp = to_db(now());
                let sponsoring = status == EnhancementStatus::Sponsored;
                sqlx::query(
                    "UPDATE enhancements SET status = $1, sponsor_person_id = CASE \
                            WHEN $2 = 1 THEN $3 ELSE sponsor_person_id END, sponsored_at = \
                            CASE WHEN $2 = 1 THEN $4 ELSE sponsored_at END, decline_reason = \
                            CASE WHEN $1 = 'declined' THEN $5 ELSE decline_reason END, \
                            version = version + 1, updated_at = $4 WHERE organization_id = \
                            $6 AND id = $7",
                )
                .bind(status.as_str())
                .bind(i64::from(sponsoring))
                .bind(audit.actor.map(|person| person.0))
                .bind(stamp)
                .bind(reason.map(|text| text.trim().to_owned()))
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                audit
                    .record(
                        transaction,
                        "enhancement.advanced",
                        id,
                        format!("moved to {}", status.as_str()),
                    )
                    .await?;
                let enhancement = fetch_enhancement(transaction, organization, id).await?;
                // The proposer and the leads of the departments behind it hear of each step.
                let mut recipients: Vec<PersonId> = enhancement.proposed_by.into_iter().collect();
                for department in &enhancement.department_ids {
                    recipients.extend(
                        crate::notifications::leads_of(transaction, organization, department.0)
                            .await?,
                    );
                }
                let wording = notices::enhancement_moved(
                    &enhancement.title,
                    status,
                    enhancement.decline_reason.as_deref(),
                );
                tell_status(transaction, audit, id, &recipients, wording, &to_db(now())).await?;
                Ok(enhancement)
            })
        })
        .await
    }

    /// Confirms a proposed enhancement for the given proposing departments
    /// (the caller decides who speaks for which). Once no department is
    /// left, the executives are told it waits for a sponsor. A department
    /// not named on it is invalid at `department_id`; an enhancement no longer
    /// `proposed`, or already confirmed by all of them, is a conflict.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn confirm_enhancement(
        &self,
        id: i64,
        departments: Vec<DepartmentId>,
    ) -> Result<Enhancement, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let current = locked(transaction, organization, id).await?;
                if current.status != EnhancementStatus::Proposed {
                    return Err(StoreError::Conflict {
                        field: Some("status".to_owned()),
                        message: format!(
                            "only a proposed enhancement is confirmed; this one is {}",
                            current.status.as_str()
                        ),
                    });
                }
                if let Some(stranger) = departments
                    .iter()
                    .find(|department| !current.department_ids.contains(department))
                {
                    return Err(StoreError::invalid(
                        "department_id",
                        format!("department {} is not named on this enhancement", stranger.0),
                    ));
                }
                let awaiting = current.awaiting_confirmation();
                let confirming: Vec<DepartmentId> = departments
                    .into_iter()
                    .filter(|department| awaiting.contains(department))
                    .collect();
                if confirming.is_empty() {
                    return Err(StoreError::Conflict {
                        field: Some("department_id".to_owned()),
                        message: "already confirmed".to_owned(),
                    });
                }
                let stamp = to_db(now());
                for department in &confirming {
                    sqlx::query(
                        "UPDATE enhancement_departments SET confirmed_at = $1, \
                                confirmed_by = $2 WHERE organization_id = $3 AND \
                                enhancement_id = $4 AND department_id = $5",
                    )
                    .bind(stamp.clone())
                    .bind(audit.actor.map(|person| person.0))
                    .bind(organization.0)
                    .bind(id)
                    .bind(department.0)
                    .execute(&mut **transaction)
                    .await?;
                }
                sqlx::query(
                    "UPDATE enhancements SET version = version + 1, updated_at = $1 WHERE \
                        organization_id = $2 AND id = $3",
                )
                .bind(stamp.clone())
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                let named = confirming
                    .iter()
                    .map(|department| department.0.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                audit
                    .record(
                        transaction,
                        "enhancement.confirmed",
                        id,
                        format!("confirmed for department(s) {named}"),
                    )
                    .await?;
                let enhancement = fetch_enhancement(transaction, organization, id).await?;
                if enhancement.awaiting_confirmation().is_empty() {
                    tell_executives_to_sponsor(
                        transaction,
                        organization,
                        audit.actor,
                        &enhancement,
                    )
                    .await?;
                }
                Ok(enhancement)
            })
        })
        .await
    }
}
