//! Check-ins: the history of a measure's value, newest by date current.

use super::date_from_db;
use super::measures::{Measure, fetch_measure, format_number, recognize_if_reached};
use crate::time::{instant, now, to_db};
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use roundtable_domain::ids::{DepartmentId, PersonId};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Checkin {
    pub id: i64,
    pub measure_id: i64,
    pub value: f64,
    pub note: String,
    pub author_person_id: Option<PersonId>,
    pub recorded_on: Date,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewCheckin {
    pub value: f64,
    pub note: String,
    pub recorded_on: Date,
}

/// What a check-in did.
#[derive(Debug, Clone)]
pub struct CheckinOutcome {
    pub checkin: Checkin,
    pub measure: Measure,
    /// Departments credited together because this check-in reached a mutual target.
    pub credited_departments: Vec<DepartmentId>,
}

const CHECKIN_COLUMNS: &str =
    "id, measure_id, value, note, author_person_id, recorded_on, created_at";

fn checkin_from_row(row: &AnyRow) -> Result<Checkin, StoreError> {
    Ok(Checkin {
        id: row.try_get("id")?,
        measure_id: row.try_get("measure_id")?,
        value: row.try_get("value")?,
        note: row.try_get("note")?,
        author_person_id: row
            .try_get::<Option<i64>, _>("author_person_id")?
            .map(PersonId),
        recorded_on: date_from_db(&row.try_get::<String, _>("recorded_on")?)?,
        created_at: instant(row, "created_at")?,
    })
}

impl Scoped<'_> {
    /// Records a check-in: the newest check-in (by date) is the measure's
    /// current value. A mutual measure reaching its target credits its
    /// departments together, once.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, measure_id = measure_id))]
    pub async fn record_checkin(
        &self,
        measure_id: i64,
        new: NewCheckin,
    ) -> Result<CheckinOutcome, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                crate::lock_row(transaction, "measures", organization, measure_id).await?;
                fetch_measure(transaction, organization, measure_id).await?;
                let row = sqlx::query(&format!(
                    "INSERT INTO measure_checkins (organization_id, measure_id, \
                            value, note, author_person_id, recorded_on, created_at) VALUES \
                            ($1, $2, $3, $4, $5, $6, $7) RETURNING {CHECKIN_COLUMNS}"
                ))
                .bind(organization.0)
                .bind(measure_id)
                .bind(new.value)
                .bind(new.note.clone())
                .bind(audit.actor.map(|person| person.0))
                .bind(new.recorded_on.to_string())
                .bind(to_db(now()))
                .fetch_one(&mut **transaction)
                .await?;
                let checkin = checkin_from_row(&row)?;
                sqlx::query(
                    "UPDATE measures SET current_value = (SELECT c.value FROM \
                            measure_checkins c WHERE c.organization_id = $1 AND c.measure_id \
                            = $2 ORDER BY c.recorded_on DESC, c.id DESC LIMIT 1), version = \
                            version + 1, updated_at = $3 WHERE organization_id = $1 AND id = \
                            $2",
                )
                .bind(organization.0)
                .bind(measure_id)
                .bind(to_db(now()))
                .execute(&mut **transaction)
                .await?;
                let measure = fetch_measure(transaction, organization, measure_id).await?;
                let credited = recognize_if_reached(transaction, organization, &measure).await?;
                let detail = format!(
                    "checked in {} on {}",
                    format_number(checkin.value),
                    checkin.recorded_on
                );
                audit
                    .record(transaction, "measure.checked_in", measure_id, detail)
                    .await?;
                let measure = fetch_measure(transaction, organization, measure_id).await?;
                Ok(CheckinOutcome {
                    checkin,
                    measure,
                    credited_departments: credited,
                })
            })
        })
        .await
    }

    /// A measure's check-ins, oldest first.
    pub async fn checkins(&self, measure_id: i64) -> Result<Vec<Checkin>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CHECKIN_COLUMNS} FROM measure_checkins WHERE organization_id = $1 \
                AND measure_id = $2 ORDER BY recorded_on, id"
        ))
        .bind(self.organization.0)
        .bind(measure_id)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(checkin_from_row).collect()
    }
}
