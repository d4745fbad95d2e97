//! The records behind the work inbox: each query finds the open hand-overs
//! of one kind that wait on one person, by reading the records themselves
//! (a proposed agreement version still lacking a side's acceptance, a check
//! without an answer, …). Nothing is stored for the inbox, so an item leaves
//! it the moment anyone entitled does the step. Lead-only kinds join
//! `department_leads`; which department a person leads is never trusted
//! from the caller. Every query is bounded by the organization and by the
//! indexes of migration 0018.

use crate::objectives::{date_from_db, period_from_db};
use crate::requests::{COLUMNS, FROM, Request, attach_periods, from_row};
use crate::time::from_db;
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::agreements::{ReviewCadence, Side};
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::objectives::Period;
use sqlx::Row;
use sqlx::any::AnyRow;

/// An agreement version proposed and not yet accepted for a side the
/// person leads.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptanceWaiting {
    pub agreement_id: i64,
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    pub version_number: i64,
    pub side: Side,
    pub proposed_at: Timestamp,
}

/// An agreement in force between a department the person leads and another.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementInForce {
    pub agreement_id: i64,
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    pub cadence: ReviewCadence,
    pub last_reviewed_on: Date,
}

/// An enhancement waiting on a decision, and since when.
#[derive(Debug, Clone, PartialEq)]
pub struct EnhancementWaiting {
    pub enhancement_id: i64,
    pub title: String,
    pub since: Timestamp,
}

/// A topic about a department the person leads, waiting on that department.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicWaiting {
    pub topic_id: i64,
    /// `assumption` or `frustration`.
    pub kind: String,
    pub title: String,
    pub created_at: Timestamp,
}

/// A date proposed by one side of an open request, for the other to accept.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentWaiting {
    pub request_id: i64,
    pub request_title: String,
    pub due_at: Timestamp,
    pub proposed_at: Timestamp,
}

/// An action past its due date.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionWaiting {
    pub action_id: i64,
    pub title: String,
    pub due_on: Date,
}

/// A measure a department the person leads contributes to, with the date of
/// its latest check-in.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureContribution {
    pub measure_id: i64,
    pub name: String,
    pub period: Period,
    pub created_at: Timestamp,
    pub last_checkin: Option<Date>,
}

/// When an assumption or frustration (`t`) waits on the department it is
/// about: an assumption until someone answers it (unless resolved or
/// parked), a frustration while it is open and nobody of that department
/// has responded. The inbox and the hand-over sweep ask the same question.
pub(crate) const TOPIC_WAITS: &str = "((t.kind = 'assumption' AND t.answer IS NULL AND \
    t.status NOT IN ('resolved', 'parked')) OR (t.kind = 'frustration' AND t.status = 'open' \
    AND NOT EXISTS (SELECT 1 FROM topic_comments c JOIN people p ON p.organization_id = \
    c.organization_id AND p.id = c.author_person_id WHERE c.organization_id = \
    t.organization_id AND c.topic_id = t.id AND p.department_id = t.about_department_id)))";

/// The departments `person` leads: the ground of every lead-only kind.
const LED: &str = "SELECT department_id FROM department_leads WHERE organization_id = $1 \
                   AND person_id = $2";

impl Scoped<'_> {
    /// The departments `person` leads.
    pub async fn departments_led_by(
        &self,
        person: PersonId,
    ) -> Result<Vec<DepartmentId>, StoreError> {
        let rows = sqlx::query(&format!("{LED} ORDER BY department_id"))
            .bind(self.organization.0)
            .bind(person.0)
            .fetch_all(self.store.reader())
            .await?;
        rows.iter()
            .map(|row| Ok(DepartmentId(row.try_get("department_id")?)))
            .collect()
    }

    /// Proposed agreement versions still lacking the acceptance of a side
    /// `person` leads (one row per side).
    pub async fn acceptances_waiting_on(
        &self,
        person: PersonId,
    ) -> Result<Vec<AcceptanceWaiting>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT a.id, a.provider_department_id, a.consumer_department_id, v.number, \
                v.proposed_at, v.created_at, CASE WHEN a.provider_department_id IN ({LED}) \
                AND v.provider_accepted_at IS NULL THEN 1 ELSE 0 END AS provider_waits, \
                CASE WHEN a.consumer_department_id IN ({LED}) AND v.consumer_accepted_at IS \
                NULL THEN 1 ELSE 0 END AS consumer_waits FROM agreements a JOIN \
                agreement_versions v ON v.organization_id = a.organization_id AND \
                v.agreement_id = a.id WHERE a.organization_id = $1 AND v.status = 'proposed' \
                ORDER BY a.id"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?;
        let mut waiting = Vec::new();
        for row in &rows {
            let proposed_at: Option<String> = row.try_get("proposed_at")?;
            let proposed_at = match proposed_at {
                Some(text) => from_db(&text)?,
                None => from_db(&row.try_get::<String, _>("created_at")?)?,
            };
            for (side, column) in [
                (Side::Provider, "provider_waits"),
                (Side::Consumer, "consumer_waits"),
            ] {
                if row.try_get::<i64, _>(column)? == 1 {
                    waiting.push(AcceptanceWaiting {
                        agreement_id: row.try_get("id")?,
                        provider: DepartmentId(row.try_get("provider_department_id")?),
                        consumer: DepartmentId(row.try_get("consumer_department_id")?),
                        version_number: row.try_get("number")?,
                        side,
                        proposed_at,
                    });
                }
            }
        }
        Ok(waiting)
    }

    /// Agreements in force with a side `person` leads, with their review
    /// cadence and last review (the review rule itself is the domain's).
    pub async fn agreements_in_force_led_by(
        &self,
        person: PersonId,
    ) -> Result<Vec<AgreementInForce>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT id, provider_department_id, consumer_department_id, \
                review_cadence_months, last_reviewed_on FROM agreements WHERE organization_id \
                = $1 AND agreed_version IS NOT NULL AND last_reviewed_on IS NOT NULL AND \
                (provider_department_id IN ({LED}) OR consumer_department_id IN ({LED})) \
                ORDER BY id"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let months: i64 = row.try_get("review_cadence_months")?;
                let cadence = ReviewCadence::from_months(months).ok_or_else(|| {
                    StoreError::Corrupt(format!("review cadence of {months} months"))
                })?;
                Ok(AgreementInForce {
                    agreement_id: row.try_get("id")?,
                    provider: DepartmentId(row.try_get("provider_department_id")?),
                    consumer: DepartmentId(row.try_get("consumer_department_id")?),
                    cadence,
                    last_reviewed_on: date_from_db(&row.try_get::<String, _>("last_reviewed_on")?)?,
                })
            })
            .collect()
    }

    /// Proposed enhancements every proposing department has confirmed: what
    /// executives decide on, since the last confirmation.
    pub async fn enhancements_to_sponsor(&self) -> Result<Vec<EnhancementWaiting>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, e.title, e.created_at, (SELECT MAX(d.confirmed_at) FROM \
                enhancement_departments d WHERE d.organization_id = e.organization_id AND \
                d.enhancement_id = e.id) AS ready_at FROM enhancements e WHERE \
                e.organization_id = $1 AND e.status = 'proposed' AND NOT EXISTS (SELECT 1 FROM \
                enhancement_departments d WHERE d.organization_id = e.organization_id AND \
                d.enhancement_id = e.id AND d.confirmed_at IS NULL) ORDER BY e.id",
        )
        .bind(self.organization.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| enhancement_waiting(row, "ready_at"))
            .collect()
    }

    /// Proposed enhancements still waiting for the confirmation of a
    /// department `person` leads.
    pub async fn enhancements_to_confirm(
        &self,
        person: PersonId,
    ) -> Result<Vec<EnhancementWaiting>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT e.id, e.title, e.created_at, e.created_at AS ready_at FROM enhancements e \
                WHERE e.organization_id = $1 AND e.status = 'proposed' AND EXISTS (SELECT 1 \
                FROM enhancement_departments d WHERE d.organization_id = e.organization_id AND \
                d.enhancement_id = e.id AND d.confirmed_at IS NULL AND d.department_id IN \
                ({LED})) ORDER BY e.id"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| enhancement_waiting(row, "ready_at"))
            .collect()
    }

    /// Assumptions about a department `person` leads with no answer yet, and
    /// frustrations about it still open that nobody of the department has
    /// responded to.
    pub async fn topics_waiting_on(
        &self,
        person: PersonId,
    ) -> Result<Vec<TopicWaiting>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT t.id, t.kind, t.title, t.created_at FROM topics t WHERE t.organization_id \
                = $1 AND t.about_department_id IN ({LED}) AND {TOPIC_WAITS} ORDER BY t.id"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TopicWaiting {
                    topic_id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    title: row.try_get("title")?,
                    created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
                })
            })
            .collect()
    }

    /// Dates proposed on open requests for `person` to accept: the
    /// provider's proposals reach the requester; the requester's reach the
    /// assignee or, while nobody is assigned, the provider's leads.
    pub async fn commitments_waiting_on(
        &self,
        person: PersonId,
    ) -> Result<Vec<CommitmentWaiting>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT c.request_id, r.title, c.due_at, c.created_at FROM request_commitments c \
                JOIN requests r ON r.organization_id = c.organization_id AND r.id = \
                c.request_id WHERE c.organization_id = $1 AND c.status = 'proposed' AND \
                r.status NOT IN ('resolved', 'closed', 'cancelled') AND ((c.proposed_by_side = \
                'provider' AND r.requester_person_id = $2) OR (c.proposed_by_side = \
                'requester' AND (r.assignee_person_id = $2 OR (r.assignee_person_id IS NULL \
                AND r.provider_department_id IN ({LED}))))) ORDER BY c.id"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CommitmentWaiting {
                    request_id: row.try_get("request_id")?,
                    request_title: row.try_get("title")?,
                    due_at: from_db(&row.try_get::<String, _>("due_at")?)?,
                    proposed_at: from_db(&row.try_get::<String, _>("created_at")?)?,
                })
            })
            .collect()
    }

    /// Open requests assigned to `person`, oldest first, at most `limit`.
    pub async fn open_requests_assigned_to(
        &self,
        person: PersonId,
        limit: i64,
    ) -> Result<Vec<Request>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND \
                r.assignee_person_id = $2 AND r.status NOT IN ('resolved', 'closed', \
                'cancelled') ORDER BY r.id LIMIT $3"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .bind(limit)
        .fetch_all(self.store.reader())
        .await?;
        let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        let mut connection = self.store.reader().acquire().await?;
        attach_periods(&mut connection, self.organization, &mut items).await?;
        Ok(items)
    }

    /// Open or in-progress actions `person` owns that were due before `today`.
    pub async fn overdue_actions_of(
        &self,
        person: PersonId,
        today: Date,
    ) -> Result<Vec<ActionWaiting>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, title, due_on FROM actions WHERE organization_id = $1 AND \
                owner_person_id = $2 AND status IN ('open', 'in_progress') AND due_on < $3 \
                ORDER BY due_on, id",
        )
        .bind(self.organization.0)
        .bind(person.0)
        .bind(today.to_string())
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ActionWaiting {
                    action_id: row.try_get("id")?,
                    title: row.try_get("title")?,
                    due_on: date_from_db(&row.try_get::<String, _>("due_on")?)?,
                })
            })
            .collect()
    }

    /// Measures not yet at target that a department `person` leads
    /// contributes to, with their objective's period and latest check-in.
    pub async fn measures_contributed_by(
        &self,
        person: PersonId,
    ) -> Result<Vec<MeasureContribution>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT m.id, m.name, m.created_at, o.period, (SELECT MAX(c.recorded_on) FROM \
                measure_checkins c WHERE c.organization_id = m.organization_id AND \
                c.measure_id = m.id) AS last_checkin FROM measures m JOIN objectives o ON \
                o.organization_id = m.organization_id AND o.id = m.objective_id WHERE \
                m.organization_id = $1 AND m.target_reached_at IS NULL AND EXISTS (SELECT 1 \
                FROM measure_contributors mc WHERE mc.organization_id = m.organization_id AND \
                mc.measure_id = m.id AND mc.department_id IN ({LED})) ORDER BY m.id"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let last: Option<String> = row.try_get("last_checkin")?;
                Ok(MeasureContribution {
                    measure_id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    period: period_from_db(&row.try_get::<String, _>("period")?)?,
                    created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
                    last_checkin: last.as_deref().map(date_from_db).transpose()?,
                })
            })
            .collect()
    }
}

fn enhancement_waiting(row: &AnyRow, since: &str) -> Result<EnhancementWaiting, StoreError> {
    let ready: Option<String> = row.try_get(since)?;
    let since = match ready {
        Some(text) => from_db(&text)?,
        None => from_db(&row.try_get::<String, _>("created_at")?)?,
    };
    Ok(EnhancementWaiting {
        enhancement_id: row.try_get("id")?,
        title: row.try_get("title")?,
        since,
    })
}
