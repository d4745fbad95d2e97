//! Committed delivery dates: proposed by one side, accepted by the other.

use super::outcomes::record_outcomes;
use super::rows::{corrupt, option_text};
use super::telling::{Telling, tell};
use super::timeline::{NewEvent, bump, record_event};
use super::workflow::still_open;
use crate::time::{instant, optional_instant, to_db};
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::ids::PersonId;
use roundtable_domain::notices::RequestNotice;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Which side of a request proposed a commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentSide {
    Provider,
    Requester,
}

impl CommitmentSide {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitmentSide::Provider => "provider",
            CommitmentSide::Requester => "requester",
        }
    }
}

/// Where a commitment stands: an open proposal, the accepted date, or a
/// proposal a later one replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentStatus {
    Proposed,
    Accepted,
    Superseded,
}

impl CommitmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitmentStatus::Proposed => "proposed",
            CommitmentStatus::Accepted => "accepted",
            CommitmentStatus::Superseded => "superseded",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Proposed, Self::Accepted, Self::Superseded]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// A proposed or accepted delivery date.
#[derive(Debug, Clone, PartialEq)]
pub struct Commitment {
    pub id: i64,
    pub proposed_by_side: CommitmentSide,
    pub proposed_by: PersonId,
    pub due_at: Timestamp,
    pub note: String,
    pub status: CommitmentStatus,
    pub decided_by: Option<PersonId>,
    pub decided_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

fn commitment_from_row(row: &AnyRow) -> Result<Commitment, StoreError> {
    let side: String = row.try_get("proposed_by_side")?;
    let status: String = row.try_get("status")?;
    Ok(Commitment {
        id: row.try_get("id")?,
        proposed_by_side: match side.as_str() {
            "provider" => CommitmentSide::Provider,
            "requester" => CommitmentSide::Requester,
            other => return Err(corrupt("commitment side", other)),
        },
        proposed_by: PersonId(row.try_get("proposed_by")?),
        due_at: instant(row, "due_at")?,
        note: row.try_get("note")?,
        status: CommitmentStatus::parse(&status)
            .ok_or_else(|| corrupt("commitment status", &status))?,
        decided_by: row.try_get::<Option<i64>, _>("decided_by")?.map(PersonId),
        decided_at: optional_instant(row, "decided_at")?,
        created_at: instant(row, "created_at")?,
    })
}

const COMMITMENT_COLUMNS: &str =
    "id, proposed_by_side, proposed_by, due_at, note, status, decided_by, decided_at, created_at";

impl Scoped<'_> {
    /// Proposes a delivery date; an earlier open proposal is superseded (a
    /// proposal from the other side is a counter-proposal).
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, by = by.0))]
    pub async fn propose_commitment(
        &self,
        id: i64,
        side: CommitmentSide,
        by: PersonId,
        due_at: Timestamp,
        note: String,
        at: Timestamp,
    ) -> Result<Commitment, StoreError> {
        let organization = self.organization;
        self.write_request(id, move |transaction, request| {
            Box::pin(async move {
                still_open(&request, "given a commitment")?;
                if due_at <= at {
                    return Err(StoreError::invalid("due_at", "must be in the future"));
                }
                let stamp = to_db(at);
                sqlx::query(
                    "UPDATE request_commitments SET status = 'superseded' WHERE \
                            organization_id = $1 AND request_id = $2 AND status = 'proposed'",
                )
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                let row = sqlx::query(&format!(
                    "INSERT INTO request_commitments (organization_id, request_id, \
                            proposed_by_side, proposed_by, due_at, note, status, created_at) \
                            VALUES ($1, $2, $3, $4, $5, $6, 'proposed', $7) RETURNING \
                            {COMMITMENT_COLUMNS}"
                ))
                .bind(organization.0)
                .bind(id)
                .bind(side.as_str())
                .bind(by.0)
                .bind(to_db(due_at))
                .bind(note.clone())
                .bind(stamp.clone())
                .fetch_one(&mut **transaction)
                .await?;
                let commitment = commitment_from_row(&row)?;
                let kind = match side {
                    CommitmentSide::Provider => "commitment_proposed",
                    CommitmentSide::Requester => "commitment_countered",
                };
                let after = serde_json::json!({
                    "commitment_id": commitment.id,
                    "due_at": due_at.to_string(),
                });
                record_event(
                    transaction,
                    organization,
                    NewEvent::new(id, Some(by), kind, &stamp)
                        .changing(serde_json::json!({}), after)
                        .noting(&note),
                )
                .await?;
                bump(transaction, organization, id, &stamp).await?;
                let other_side = match side {
                    CommitmentSide::Provider => vec![request.requester_person_id],
                    CommitmentSide::Requester => match request.assignee_person_id {
                        Some(assignee) => vec![assignee],
                        None => {
                            crate::notifications::leads_of(
                                transaction,
                                organization,
                                request.provider_department_id.0,
                            )
                            .await?
                        }
                    },
                };
                let notice = RequestNotice::CommitmentProposed {
                    due_at,
                    note: &note,
                };
                let telling = Telling {
                    recipients: &other_side,
                    actor: Some(by),
                    notice,
                };
                tell(transaction, organization, &request, telling, &stamp).await?;
                Ok(commitment)
            })
        })
        .await
    }

    /// Accepts the open proposal; only the side that did not propose it may.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, commitment = commitment, by = by.0))]
    pub async fn accept_commitment(
        &self,
        id: i64,
        commitment: i64,
        side: CommitmentSide,
        by: PersonId,
        at: Timestamp,
    ) -> Result<Commitment, StoreError> {
        let organization = self.organization;
        let context = self.clock_context().await?;
        self.write_request(id, move |transaction, request| {
            Box::pin(async move {
                still_open(&request, "given a commitment")?;
                let row = sqlx::query(&format!(
                    "SELECT {COMMITMENT_COLUMNS} FROM request_commitments WHERE \
                            organization_id = $1 AND request_id = $2 AND id = $3"
                ))
                .bind(organization.0)
                .bind(id)
                .bind(commitment)
                .fetch_optional(&mut **transaction)
                .await?
                .ok_or(StoreError::NotFound)?;
                let current = commitment_from_row(&row)?;
                if current.status != CommitmentStatus::Proposed {
                    return Err(StoreError::Conflict {
                        field: None,
                        message: format!(
                            "this commitment is {}; only an open proposal can be \
                                accepted",
                            current.status.as_str()
                        ),
                    });
                }
                if current.proposed_by_side == side {
                    return Err(StoreError::Forbidden(
                        "a commitment is accepted by the other side than the one that \
                                proposed it"
                            .to_owned(),
                    ));
                }
                let stamp = to_db(at);
                let row = sqlx::query(&format!(
                    "UPDATE request_commitments SET status = 'accepted', decided_by = \
                            $1, decided_at = $2 WHERE organization_id = $3 AND id = $4 \
                            RETURNING {COMMITMENT_COLUMNS}"
                ))
                .bind(by.0)
                .bind(stamp.clone())
                .bind(organization.0)
                .bind(commitment)
                .fetch_one(&mut **transaction)
                .await?;
                sqlx::query(
                    "UPDATE requests SET committed_due_at = $1 WHERE organization_id \
                        = $2 AND id = $3",
                )
                .bind(to_db(current.due_at))
                .bind(organization.0)
                .bind(id)
                .execute(&mut **transaction)
                .await?;
                let before = serde_json::json!({
                    "committed_due_at": option_text(request.committed_due_at),
                });
                let after = serde_json::json!({
                    "committed_due_at": current.due_at.to_string(),
                    "commitment_id": commitment,
                });
                record_event(
                    transaction,
                    organization,
                    NewEvent::new(id, Some(by), "commitment_accepted", &stamp)
                        .changing(before, after),
                )
                .await?;
                bump(transaction, organization, id, &stamp).await?;
                let request =
                    record_outcomes(transaction, organization, id, &context, &request).await?;
                let notice = RequestNotice::CommitmentAccepted {
                    due_at: current.due_at,
                };
                let telling = Telling {
                    recipients: &[current.proposed_by],
                    actor: Some(by),
                    notice,
                };
                tell(transaction, organization, &request, telling, &stamp).await?;
                commitment_from_row(&row)
            })
        })
        .await
    }

    pub async fn commitments(&self, id: i64) -> Result<Vec<Commitment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COMMITMENT_COLUMNS} FROM request_commitments WHERE organization_id = \
                $1 AND request_id = $2 ORDER BY id"
        ))
        .bind(self.organization.0)
        .bind(id)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(commitment_from_row).collect()
    }
}
