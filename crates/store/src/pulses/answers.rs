//! Answering a round: who is invited to which cells, and one answer per
//! person and cell, written apart from the participation.

use super::{PulseRound, RoundStatus, cell_from_row, encode, fetch_round, random_key};
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::pulses::Cell;
use roundtable_domain::pulses::Ratings;
use std::collections::BTreeSet;

/// An answer about one cell, already checked against the scales; which side
/// it is on follows from the respondent's department.
#[derive(Debug, Clone)]
pub struct PulseAnswer {
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    pub expectation: Option<Ratings>,
    pub perception: Ratings,
    pub importance: Option<Ratings>,
    pub comment: String,
}

/// A cell one person may answer about in a round.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseInvitation {
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    /// `consumer` (rate the provider) or `provider` (rate yourselves: the mirror).
    pub side: &'static str,
    pub answered: bool,
}

impl Scoped<'_> {
    /// The cells of a round `person` may answer about, and which they have.
    pub async fn pulse_invitations(
        &self,
        round: &PulseRound,
        person: PersonId,
    ) -> Result<Vec<PulseInvitation>, StoreError> {
        let department: Option<i64> = sqlx::query_scalar(
            "SELECT department_id FROM people WHERE organization_id = $1 AND id = $2",
        )
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_optional(self.store.reader())
        .await?
        .flatten();
        let Some(department) = department.map(DepartmentId) else {
            return Ok(Vec::new());
        };
        let answered: BTreeSet<Cell> = sqlx::query(
            "SELECT provider_department_id, consumer_department_id FROM pulse_participants \
             WHERE organization_id = $1 AND round_id = $2 AND person_id = $3",
        )
        .bind(self.organization.0)
        .bind(round.id)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?
        .iter()
        .map(cell_from_row)
        .collect::<Result<_, StoreError>>()?;
        Ok(round
            .cells
            .iter()
            .filter_map(|(provider, consumer)| {
                let side = if *consumer == department {
                    "consumer"
                } else if *provider == department {
                    "provider"
                } else {
                    return None;
                };
                Some(PulseInvitation {
                    provider: *provider,
                    consumer: *consumer,
                    side,
                    answered: answered.contains(&(*provider, *consumer)),
                })
            })
            .collect())
    }

    /// Records one person's answer about one cell of an open round, once.
    /// Participation and answer are written apart, with nothing linking them.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, round = round, person = person.0))]
    pub async fn respond_to_pulse(
        &self,
        round: i64,
        person: PersonId,
        answer: PulseAnswer,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    let current = fetch_round(transaction, organization, round).await?;
                    match current.status(at) {
                        RoundStatus::Open => {}
                        RoundStatus::Scheduled => {
                            return Err(StoreError::Conflict {
                                field: None,
                                message: "the round has not opened yet".to_owned(),
                            });
                        }
                        RoundStatus::Closed => {
                            return Err(StoreError::Conflict {
                                field: None,
                                message: "the round is closed".to_owned(),
                            });
                        }
                    }
                    let cell = (answer.provider, answer.consumer);
                    if !current.cells.contains(&cell) {
                        return Err(StoreError::invalid(
                            "provider_department_id",
                            "this round does not ask about that cell",
                        ));
                    }
                    let department: Option<i64> = sqlx::query_scalar(
                        "SELECT department_id FROM people WHERE organization_id = $1 AND id = \
                        $2",
                    )
                    .bind(organization.0)
                    .bind(person.0)
                    .fetch_optional(&mut **transaction)
                    .await?
                    .flatten();
                    let side = match department.map(DepartmentId) {
                        Some(department) if department == answer.consumer => "consumer",
                        Some(department) if department == answer.provider => "provider",
                        _ => {
                            return Err(StoreError::Forbidden(
                                "only members of the cell's two departments answer about it"
                                    .to_owned(),
                            ));
                        }
                    };
                    let (expectation, importance) = if side == "consumer" {
                        let mut errors = roundtable_domain::ValidationErrors::new();
                        if answer.expectation.is_none() {
                            errors.push(
                                "expectation",
                                "the consumer side gives its expectation on every dimension",
                            );
                        }
                        if answer.importance.is_none() {
                            errors.push(
                                "importance",
                                "the consumer side splits 100 importance points across the \
                                dimensions",
                            );
                        }
                        if !errors.is_empty() {
                            return Err(StoreError::Invalid(errors));
                        }
                        (
                            answer.expectation.as_ref().map(encode),
                            answer.importance.as_ref().map(encode),
                        )
                    } else {
                        // The mirror rates perception only.
                        (None, None)
                    };
                    let joined = sqlx::query(
                        "INSERT INTO pulse_participants (organization_id, round_id, \
                            provider_department_id, consumer_department_id, person_id, side) \
                            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    )
                    .bind(organization.0)
                    .bind(round)
                    .bind(answer.provider.0)
                    .bind(answer.consumer.0)
                    .bind(person.0)
                    .bind(side)
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                    if joined == 0 {
                        return Err(StoreError::Conflict {
                            field: None,
                            message: "you have already answered about this cell in this round"
                                .to_owned(),
                        });
                    }
                    sqlx::query(
                        "INSERT INTO pulse_responses (key, organization_id, round_id, \
                            provider_department_id, consumer_department_id, side, \
                            expectation, perception, importance, comment) VALUES ($1, $2, \
                            $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(random_key())
                    .bind(organization.0)
                    .bind(round)
                    .bind(answer.provider.0)
                    .bind(answer.consumer.0)
                    .bind(side)
                    .bind(expectation)
                    .bind(encode(&answer.perception))
                    .bind(importance)
                    .bind(answer.comment.clone())
                    .execute(&mut **transaction)
                    .await?;
                    // The thank-you comes when the round closes (thank_participants),
                    // never at the moment of an answer.
                    Ok(())
                })
            })
            .await
    }
}
