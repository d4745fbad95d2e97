//! Customer segments: the external customer at the centre. Services name the
//! segments they ultimately serve, so every internal service traces to an
//! external customer.

use crate::rows::BindCommon;
use crate::time::{instant, now, to_db};
use crate::{Change, Funnel, Listing, PageRequest, Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::text::Label;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    /// What this kind of customer needs, in the organization's words.
    pub needs: String,
    /// Criteria such as what a qualified lead from this segment looks like.
    pub criteria: Vec<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewSegment {
    pub name: Label,
    pub needs: String,
    pub criteria: Vec<Label>,
}

#[derive(Debug, Clone, Default)]
pub struct SegmentChanges {
    pub name: Change<Label>,
    pub needs: Change<String>,
    pub criteria: Change<Vec<Label>>,
}

const COLUMNS: &str = "id, name, needs, criteria, version, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Segment, StoreError> {
    let criteria: String = row.try_get("criteria")?;
    Ok(Segment {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        needs: row.try_get("needs")?,
        criteria: serde_json::from_str(&criteria)
            .map_err(|error| StoreError::Corrupt(format!("segment criteria: {error}")))?,
        version: row.try_get("version")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

crate::rows::record!(Segment, "segments", COLUMNS, from_row);

fn encode_criteria(criteria: &[Label]) -> String {
    let texts: Vec<&str> = criteria.iter().map(Label::as_str).collect();
    serde_json::to_string(&texts).unwrap_or_else(|_| "[]".to_owned())
}

fn name_conflict(error: sqlx::Error, name: &str) -> StoreError {
    match StoreError::from(error) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            field: Some("name".to_owned()),
            message: format!("a segment named {name:?} already exists"),
        },
        other => other,
    }
}

impl Scoped<'_> {
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn create_segment(&self, new: NewSegment) -> Result<Segment, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "INSERT INTO segments (organization_id, name, needs, criteria, \
                            created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
                            RETURNING {COLUMNS}"
                ))
                .bind(organization.0)
                .bind(new.name.as_str().to_owned())
                .bind(new.needs.clone())
                .bind(encode_criteria(&new.criteria))
                .bind(to_db(now()))
                .fetch_one(&mut **transaction)
                .await
                .map_err(|error| name_conflict(error, new.name.as_str()))?;
                let segment = from_row(&row)?;
                let detail = format!("created {}", segment.name);
                audit
                    .record(transaction, "segment.created", segment.id, detail)
                    .await?;
                Ok(segment)
            })
        })
        .await
    }

    pub async fn segment(&self, id: i64) -> Result<Segment, StoreError> {
        crate::rows::get::<Segment, _>(self.store.reader(), self.organization, id).await
    }

    pub async fn list_segments(&self, page: PageRequest) -> Result<Listing<Segment>, StoreError> {
        let items =
            crate::rows::list::<Segment, _>(self.store.reader(), self.organization, page).await?;
        Ok(page.into_listing(items, |segment| segment.id))
    }

    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn update_segment(
        &self,
        id: i64,
        changes: SegmentChanges,
        expected_version: i64,
    ) -> Result<Segment, StoreError> {
        let organization = self.organization;
        let detail = crate::departments::changed_fields(&[
            ("name", changes.name.is_set()),
            ("needs", changes.needs.is_set()),
            ("criteria", changes.criteria.is_set()),
        ]);
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let current: Segment =
                    crate::locked(transaction, organization, id, Some(expected_version)).await?;
                let name = match changes.name {
                    Change::Set(name) => name.into_string(),
                    Change::Keep => current.name,
                };
                // Unchanged criteria are left as stored, never re-encoded.
                let criteria = match changes.criteria {
                    Change::Set(criteria) => Some(encode_criteria(&criteria)),
                    Change::Keep => None,
                };
                let row = sqlx::query(&format!(
                    "UPDATE segments SET name = $1, needs = $2, criteria = \
                            COALESCE($3, criteria), version = version + 1, updated_at = $4 \
                            WHERE organization_id = $5 AND id = $6 RETURNING {COLUMNS}"
                ))
                .bind(name.clone())
                .bind(changes.needs.or(current.needs))
                .bind(criteria)
                .bind_now_and_row(organization, id)
                .fetch_one(&mut **transaction)
                .await
                .map_err(|error| name_conflict(error, &name))?;
                audit
                    .record(transaction, "segment.updated", id, detail)
                    .await?;
                from_row(&row)
            })
        })
        .await
    }

    /// Deletes a segment no service serves.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id))]
    pub async fn delete_segment(
        &self,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        self.delete_audited::<Segment>(
            Funnel::Data,
            id,
            expected_version,
            "services still serve this segment; change them first",
            "segment.deleted",
            |segment| format!("deleted {}", segment.name),
        )
        .await?;
        Ok(())
    }
}
