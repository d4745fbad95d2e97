//! Telling people it is their turn. The worker's hand-over sweep reads the
//! open hand-overs of the whole organization (here, the reads) and sends
//! each person each notice once (here, [`Scoped::tell_once`]): a row of
//! `handover_notices` per person, kind, subject and stage, inserted in the
//! same transaction as the notification, decides exactly once across
//! instances. What to send when, and its wording, are the worker's and the
//! domain's.

use crate::notifications::{Notice, notify};
use crate::pulses::PulseRound;
use crate::time::{from_db, to_db};
use crate::work::TOPIC_WAITS;
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::agreements::Side;
use roundtable_domain::ids::{DepartmentId, PersonId};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// A side of a proposed agreement version that has not accepted yet.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedSide {
    pub agreement_id: i64,
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    pub version_number: i64,
    pub side: Side,
    pub proposed_by: Option<PersonId>,
    pub proposed_at: Timestamp,
}

impl ProposedSide {
    /// The department whose leads accept for this side.
    pub fn department(&self) -> DepartmentId {
        match self.side {
            Side::Provider => self.provider,
            Side::Consumer => self.consumer,
        }
    }
}

/// An assumption or frustration about a department that waits on it
/// (`work::TOPIC_WAITS`, the inbox's own rule).
#[derive(Debug, Clone, PartialEq)]
pub struct TopicRaised {
    pub topic_id: i64,
    pub kind: String,
    pub title: String,
    pub about: DepartmentId,
    pub author: Option<PersonId>,
}

/// An unanswered, unexpired satisfaction check asked before a given instant.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckWaiting {
    pub check_id: i64,
    pub request_title: String,
    pub respondent: PersonId,
    pub expires_at: Timestamp,
}

/// One notice for several people, each told once per `kind`, `subject_id`
/// and `stage`.
#[derive(Debug, Clone)]
pub struct HandoverNotice {
    pub kind: &'static str,
    pub stage: String,
    pub subject_kind: &'static str,
    pub subject_id: i64,
    pub title: String,
    pub body: String,
    pub link: String,
}

/// How many people one transaction tells: a round opening for a large
/// organization is thousands of notices, and one commit each would hold
/// the writer for long.
const TOLD_PER_WRITE: usize = 500;

impl Scoped<'_> {
    /// Every active department's leads.
    pub async fn leads_by_department(
        &self,
    ) -> Result<BTreeMap<DepartmentId, Vec<PersonId>>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.department_id, l.person_id FROM department_leads l JOIN people p ON \
                p.organization_id = l.organization_id AND p.id = l.person_id WHERE \
                l.organization_id = $1 AND p.active = 1 ORDER BY l.department_id, l.person_id",
        )
        .bind(self.organization.0)
        .fetch_all(self.store.reader())
        .await?;
        let mut leads: BTreeMap<DepartmentId, Vec<PersonId>> = BTreeMap::new();
        for row in &rows {
            leads
                .entry(DepartmentId(row.try_get("department_id")?))
                .or_default()
                .push(PersonId(row.try_get("person_id")?));
        }
        Ok(leads)
    }

    /// The sides of proposed agreement versions that have not accepted.
    pub async fn proposed_sides(&self) -> Result<Vec<ProposedSide>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.provider_department_id, a.consumer_department_id, v.number, \
                v.proposed_by, v.proposed_at, v.created_at, v.provider_accepted_at, \
                v.consumer_accepted_at FROM agreements a JOIN agreement_versions v ON \
                v.organization_id = a.organization_id AND v.agreement_id = a.id WHERE \
                a.organization_id = $1 AND v.status = 'proposed' ORDER BY a.id",
        )
        .bind(self.organization.0)
        .fetch_all(self.store.reader())
        .await?;
        let mut sides = Vec::new();
        for row in &rows {
            let proposed_at: Option<String> = row.try_get("proposed_at")?;
            let proposed_at = match proposed_at {
                Some(text) => from_db(&text)?,
                None => from_db(&row.try_get::<String, _>("created_at")?)?,
            };
            for (side, column) in [
                (Side::Provider, "provider_accepted_at"),
                (Side::Consumer, "consumer_accepted_at"),
            ] {
                if row.try_get::<Option<String>, _>(column)?.is_none() {
                    sides.push(ProposedSide {
                        agreement_id: row.try_get("id")?,
                        provider: DepartmentId(row.try_get("provider_department_id")?),
                        consumer: DepartmentId(row.try_get("consumer_department_id")?),
                        version_number: row.try_get("number")?,
                        side,
                        proposed_by: row.try_get::<Option<i64>, _>("proposed_by")?.map(PersonId),
                        proposed_at,
                    });
                }
            }
        }
        Ok(sides)
    }

    /// Assumptions and frustrations about a department still waiting on it.
    pub async fn topics_raised(&self) -> Result<Vec<TopicRaised>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT t.id, t.kind, t.title, t.about_department_id, t.author_person_id FROM \
                topics t WHERE t.organization_id = $1 AND t.about_department_id IS NOT NULL \
                AND {TOPIC_WAITS} ORDER BY t.id"
        ))
        .bind(self.organization.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TopicRaised {
                    topic_id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    title: row.try_get("title")?,
                    about: DepartmentId(row.try_get("about_department_id")?),
                    author: row
                        .try_get::<Option<i64>, _>("author_person_id")?
                        .map(PersonId),
                })
            })
            .collect()
    }

    /// Checks asked at or before `asked_before`, unanswered and open at `now`.
    pub async fn checks_waiting_since(
        &self,
        asked_before: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<CheckWaiting>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.respondent_person_id, c.expires_at, r.title FROM checks c JOIN \
                requests r ON r.organization_id = c.organization_id AND r.id = c.request_id \
                WHERE c.organization_id = $1 AND c.answer IS NULL AND c.created_at <= $2 AND \
                c.expires_at > $3 ORDER BY c.id",
        )
        .bind(self.organization.0)
        .bind(to_db(asked_before))
        .bind(to_db(now))
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CheckWaiting {
                    check_id: row.try_get("id")?,
                    request_title: row.try_get("title")?,
                    respondent: PersonId(row.try_get("respondent_person_id")?),
                    expires_at: from_db(&row.try_get::<String, _>("expires_at")?)?,
                })
            })
            .collect()
    }

    /// The active people of a round's departments with at least one cell of
    /// the round left to answer (their own department as consumer, or as
    /// provider for the mirror).
    pub async fn pulse_non_respondents(
        &self,
        round: &PulseRound,
    ) -> Result<Vec<PersonId>, StoreError> {
        let mut cells_of: BTreeMap<DepartmentId, usize> = BTreeMap::new();
        for (provider, consumer) in &round.cells {
            *cells_of.entry(*provider).or_default() += 1;
            *cells_of.entry(*consumer).or_default() += 1;
        }
        let answered: BTreeMap<i64, i64> = sqlx::query(
            "SELECT person_id, COUNT(*) AS answered FROM pulse_participants WHERE \
                organization_id = $1 AND round_id = $2 GROUP BY person_id",
        )
        .bind(self.organization.0)
        .bind(round.id)
        .fetch_all(self.store.reader())
        .await?
        .iter()
        .map(|row| Ok((row.try_get("person_id")?, row.try_get("answered")?)))
        .collect::<Result<_, StoreError>>()?;
        let people = sqlx::query(
            "SELECT id, department_id FROM people WHERE organization_id = $1 AND active = 1 \
                AND department_id IS NOT NULL ORDER BY id",
        )
        .bind(self.organization.0)
        .fetch_all(self.store.reader())
        .await?;
        let mut waiting = Vec::new();
        for row in &people {
            let department = DepartmentId(row.try_get("department_id")?);
            let Some(cells) = cells_of.get(&department) else {
                continue;
            };
            let person: i64 = row.try_get("id")?;
            let done = answered.get(&person).copied().unwrap_or(0);
            if done < i64::try_from(*cells).unwrap_or(i64::MAX) {
                waiting.push(PersonId(person));
            }
        }
        Ok(waiting)
    }

    /// Tells each of `recipients` `notice` unless they were told it before
    /// (same kind, subject and stage); returns how many were told now.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, kind = notice.kind, subject = notice.subject_id, stage = %notice.stage))]
    pub async fn tell_once(
        &self,
        recipients: &[PersonId],
        notice: HandoverNotice,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        if recipients.is_empty() {
            return Ok(0);
        }
        let told: BTreeSet<i64> = sqlx::query_scalar(
            "SELECT person_id FROM handover_notices WHERE organization_id = $1 AND kind = $2 \
                AND subject_id = $3 AND stage = $4",
        )
        .bind(self.organization.0)
        .bind(notice.kind)
        .bind(notice.subject_id)
        .bind(notice.stage.clone())
        .fetch_all(self.store.reader())
        .await?
        .into_iter()
        .collect();
        let mut untold: Vec<PersonId> = recipients
            .iter()
            .copied()
            .filter(|person| !told.contains(&person.0))
            .collect();
        untold.sort_unstable();
        untold.dedup();
        let mut sent = 0;
        for batch in untold.chunks(TOLD_PER_WRITE) {
            let batch = batch.to_vec();
            let notice = notice.clone();
            let organization = self.organization;
            sent += self
                .store
                .bookkeeping_write(move |transaction| {
                    Box::pin(async move {
                        let stamp = to_db(at);
                        let mut sent = 0;
                        for person in batch {
                            let inserted = sqlx::query(
                                "INSERT INTO handover_notices (organization_id, person_id, \
                                    kind, subject_id, stage, sent_at) VALUES ($1, $2, $3, $4, \
                                    $5, $6) ON CONFLICT DO NOTHING",
                            )
                            .bind(organization.0)
                            .bind(person.0)
                            .bind(notice.kind)
                            .bind(notice.subject_id)
                            .bind(notice.stage.clone())
                            .bind(stamp.clone())
                            .execute(&mut **transaction)
                            .await?
                            .rows_affected();
                            if inserted == 1 {
                                let told = Notice {
                                    recipient: person,
                                    kind: notice.kind,
                                    subject_kind: notice.subject_kind,
                                    subject_id: Some(notice.subject_id),
                                    title: notice.title.clone(),
                                    body: notice.body.clone(),
                                    link: notice.link.clone(),
                                };
                                notify(transaction, organization, told, &stamp).await?;
                                sent += 1;
                            }
                        }
                        Ok(sent)
                    })
                })
                .await?;
        }
        Ok(sent)
    }
}
