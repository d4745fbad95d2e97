//! The thank-you ledger: what a completed check or pulse response earned.
//! Issued once per response (a unique key on person and what it was earned
//! for): for a check in the transaction of the answer; for a pulse when the
//! round closes, naming the round only and dated at its close, so the ledger
//! never tells which cell a person answered about, or when.

use crate::rows::BindCommon;
use crate::time::instant;
use crate::{Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::Timestamp;
use roundtable_domain::ids::{OrganizationId, PersonId};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub id: i64,
    pub person_id: PersonId,
    /// `check:<id>` or `pulse:<round>`.
    pub earned_for: String,
    /// `points`, `coupon`, or `none_left` when the coupon list ran out.
    pub reward: String,
    pub points: i64,
    pub coupon_code: Option<String>,
    pub issued_at: Timestamp,
}

/// Issues the organization's thank-you to `person` for `earned_for`, once.
pub(crate) async fn issue(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    person: PersonId,
    earned_for: &str,
    stamp: &str,
) -> Result<(), StoreError> {
    let settings =
        sqlx::query("SELECT thank_you_kind, thank_you_points FROM organizations WHERE id = $1")
            .bind(organization.0)
            .fetch_one(&mut **transaction)
            .await?;
    let kind: String = settings.try_get("thank_you_kind")?;
    let points: i64 = settings.try_get("thank_you_points")?;
    if kind == "none" {
        return Ok(());
    }
    let earned_before: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM thank_you_ledger WHERE organization_id = $1 AND person_id = $2 \
            AND earned_for = $3",
    )
    .bind(organization.0)
    .bind(person.0)
    .bind(earned_for.to_owned())
    .fetch_optional(&mut **transaction)
    .await?;
    if earned_before.is_some() {
        return Ok(());
    }
    let (reward, points, coupon) = if kind == "coupon" {
        // The outer condition re-checks under the row lock, so two answers
        // racing for the last coupon cannot both get it.
        let code: Option<String> = sqlx::query_scalar(
            "UPDATE thank_you_coupons SET issued_at = $1 WHERE organization_id = $2 AND \
                issued_at IS NULL AND id = (SELECT MIN(id) FROM thank_you_coupons WHERE \
                organization_id = $2 AND issued_at IS NULL) RETURNING code",
        )
        .bind(stamp.to_owned())
        .bind(organization.0)
        .fetch_optional(&mut **transaction)
        .await?;
        match code {
            Some(code) => ("coupon", 0, Some(code)),
            None => ("none_left", 0, None),
        }
    } else {
        ("points", points, None)
    };
    sqlx::query(
        "INSERT INTO thank_you_ledger (organization_id, person_id, earned_for, reward, \
            points, coupon_code, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(organization.0)
    .bind(person.0)
    .bind(earned_for.to_owned())
    .bind(reward)
    .bind(points)
    .bind(coupon)
    .bind(stamp.to_owned())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

fn ledger_entry_from_row(row: &sqlx::any::AnyRow) -> Result<LedgerEntry, StoreError> {
    Ok(LedgerEntry {
        id: row.try_get("id")?,
        person_id: PersonId(row.try_get("person_id")?),
        earned_for: row.try_get("earned_for")?,
        reward: row.try_get("reward")?,
        points: row.try_get("points")?,
        coupon_code: row.try_get("coupon_code")?,
        issued_at: instant(row, "issued_at")?,
    })
}

impl Scoped<'_> {
    /// Adds coupon codes to the list thank-yous are drawn from; codes already
    /// on the list are skipped. Returns how many were added.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn add_thank_you_coupons(&self, codes: Vec<String>) -> Result<u64, StoreError> {
        let organization = self.organization;
        self.write_audited(move |transaction, audit| {
            Box::pin(async move {
                let mut added = 0;
                for code in &codes {
                    added += sqlx::query(
                        "INSERT INTO thank_you_coupons (organization_id, code) VALUES \
                                ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(organization.0)
                    .bind(code.clone())
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                }
                let detail = serde_json::json!({ "added": added, "submitted": codes.len() });
                audit
                    .record_on(
                        transaction,
                        "thank_you.coupons_added",
                        "organization",
                        Some(organization.0),
                        detail.to_string(),
                    )
                    .await?;
                Ok(added)
            })
        })
        .await
    }

    /// Coupons still available to be issued.
    pub async fn thank_you_coupons_left(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM thank_you_coupons WHERE organization_id = $1 AND issued_at \
            IS NULL",
        )
        .bind(self.organization.0)
        .fetch_one(self.store.reader())
        .await?)
    }

    /// The ledger, newest first; one person's entries when `person` is given.
    pub async fn thank_you_ledger(
        &self,
        person: Option<PersonId>,
        page: PageRequest,
    ) -> Result<Listing<LedgerEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, person_id, earned_for, reward, points, coupon_code, issued_at \
                FROM thank_you_ledger WHERE organization_id = $1 AND ($2 = 0 OR person_id = \
                $2) AND id < $3 ORDER BY id DESC LIMIT $4",
        )
        .bind(self.organization.0)
        .bind(person.map_or(0, |person| person.0))
        .bind_newest_first(page)
        .fetch_all(self.store.reader())
        .await?;
        page.listing_from(&rows, ledger_entry_from_row, |entry| entry.id)
    }
}
