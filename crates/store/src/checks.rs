//! Satisfaction checks as stored: created in the transaction that resolves a
//! request (so a rolled-back resolution asks nobody), at most one per request,
//! answered once by the requester. A `not_met` answer reopens the request when
//! its service says so and tells the provider's leads, in the same
//! transaction as the answer.

use crate::health_rollup::RollupChanges;
use crate::requests::{
    ClockContext, NewEvent, Request, Telling, end_period, record_event, record_outcomes,
    start_period, tell,
};
use crate::time::{from_db, instant, now, optional_instant, to_db};
use crate::{Listing, PageRequest, Scoped, StoreError, WriteTransaction};
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::checks::{
    CheckAnswer, CheckDecision, CheckDecisionInput, decide, sampling_draw,
};
use roundtable_domain::ids::{DepartmentId, OrganizationId, PersonId};
use roundtable_domain::notices::RequestNotice;
use roundtable_domain::requests::Status;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Where a check stands, derived from its answer and expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    Pending,
    Answered,
    Expired,
}

impl CheckStatus {
    pub const ALL: [CheckStatus; 3] = [
        CheckStatus::Pending,
        CheckStatus::Answered,
        CheckStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pending => "pending",
            CheckStatus::Answered => "answered",
            CheckStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub id: i64,
    pub request_id: i64,
    pub request_title: String,
    pub respondent_person_id: PersonId,
    pub provider_department_id: DepartmentId,
    pub consumer_department_id: Option<DepartmentId>,
    pub service_id: Option<i64>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub answer: Option<CheckAnswer>,
    pub rating: Option<i64>,
    pub comment: String,
}

impl Check {
    pub fn status(&self, now: Timestamp) -> CheckStatus {
        if self.answer.is_some() {
            CheckStatus::Answered
        } else if now >= self.expires_at {
            CheckStatus::Expired
        } else {
            CheckStatus::Pending
        }
    }
}

const COLUMNS: &str = "c.id, c.request_id, r.title AS request_title, c.respondent_person_id, \
    c.provider_department_id, c.consumer_department_id, c.service_id, c.created_at, \
    c.expires_at, c.answered_at, c.answer, c.rating, c.comment";
const FROM: &str =
    "checks c JOIN requests r ON r.organization_id = c.organization_id AND r.id = c.request_id";

fn from_row(row: &AnyRow) -> Result<Check, StoreError> {
    let answer: Option<String> = row.try_get("answer")?;
    Ok(Check {
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        request_title: row.try_get("request_title")?,
        respondent_person_id: PersonId(row.try_get("respondent_person_id")?),
        provider_department_id: DepartmentId(row.try_get("provider_department_id")?),
        consumer_department_id: row
            .try_get::<Option<i64>, _>("consumer_department_id")?
            .map(DepartmentId),
        service_id: row.try_get("service_id")?,
        created_at: instant(row, "created_at")?,
        expires_at: instant(row, "expires_at")?,
        answered_at: optional_instant(row, "answered_at")?,
        answer: answer
            .map(|text| {
                CheckAnswer::parse(&text)
                    .ok_or_else(|| StoreError::Corrupt(format!("check answer {text:?}")))
            })
            .transpose()?,
        rating: row.try_get("rating")?,
        comment: row.try_get("comment")?,
    })
}

/// Decides, inside the transaction that resolved `request`, whether to ask
/// its requester, and records the check when so.
pub(crate) async fn consider_check(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    request: &Request,
    resolver: PersonId,
    at: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let settings =
        sqlx::query("SELECT sampling_secret, check_fatigue_days FROM organizations WHERE id = $1")
            .bind(organization.0)
            .fetch_one(&mut **transaction)
            .await?;
    let secret: String = settings.try_get("sampling_secret")?;
    let fatigue_days: i64 = settings.try_get("check_fatigue_days")?;
    let rate: f64 = match request.service_id {
        Some(service) => sqlx::query_scalar(
            "SELECT check_sampling_rate FROM services WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization.0)
        .bind(service)
        .fetch_optional(&mut **transaction)
        .await?
        .unwrap_or(1.0),
        None => 1.0,
    };
    let already_checked: Option<i64> =
        sqlx::query_scalar("SELECT id FROM checks WHERE organization_id = $1 AND request_id = $2")
            .bind(organization.0)
            .bind(request.id)
            .fetch_optional(&mut **transaction)
            .await?;
    // The nearest earlier ask, or a later one still inside the fatigue window
    // (history can be recorded out of order): either spares the requester.
    let fatigue = SignedDuration::from_hours(fatigue_days.saturating_mul(24));
    let upper = at.saturating_add(fatigue).unwrap_or(at);
    let last_asked: Option<String> = sqlx::query_scalar(
        "SELECT MAX(created_at) FROM checks WHERE organization_id = $1 AND \
            respondent_person_id = $2 AND created_at < $3",
    )
    .bind(organization.0)
    .bind(request.requester_person_id.0)
    .bind(to_db(upper))
    .fetch_one(&mut **transaction)
    .await?;
    let decision = decide(&CheckDecisionInput {
        rate,
        draw: sampling_draw(&secret, request.id),
        resolved_by_requester: resolver == request.requester_person_id,
        already_checked: already_checked.is_some(),
        requester_last_asked_at: last_asked.map(|text| from_db(&text)).transpose()?,
        fatigue_days,
        now: at,
    });
    let CheckDecision::Ask { expires_at } = decision else {
        return Ok(None);
    };
    let stamp = to_db(at);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO checks (organization_id, request_id, respondent_person_id, \
            provider_department_id, consumer_department_id, service_id, created_at, \
            expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(organization.0)
    .bind(request.id)
    .bind(request.requester_person_id.0)
    .bind(request.provider_department_id.0)
    .bind(
        request
            .consumer_department_id
            .map(|department| department.0),
    )
    .bind(request.service_id)
    .bind(stamp.clone())
    .bind(to_db(expires_at))
    .fetch_one(&mut **transaction)
    .await?;
    let after =
        serde_json::json!({ "check_id": id, "notify_person_id": request.requester_person_id.0 });
    record_event(
        transaction,
        organization,
        NewEvent::new(request.id, None, "check_requested", &stamp)
            .changing(serde_json::json!({}), after),
    )
    .await?;
    tell(
        transaction,
        organization,
        request,
        Telling {
            recipients: &[request.requester_person_id],
            actor: None,
            notice: RequestNotice::CheckRequested { check: id },
        },
        &stamp,
    )
    .await?;
    Ok(Some(id))
}

/// An answer to a check.
#[derive(Debug, Clone)]
pub struct CheckResponse {
    pub answer: CheckAnswer,
    pub rating: Option<i64>,
    pub comment: String,
}

/// What answering did besides recording the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AnsweredCheck {
    pub check: Check,
    /// The request went back to work because the answer was `not_met`.
    pub reopened: bool,
    /// The provider's leads who were told of a `not_met` answer.
    pub leads_told: Vec<PersonId>,
}

/// Which checks to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckFilter {
    pub status: Option<CheckStatus>,
}

async fn fetch(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
) -> Result<Check, StoreError> {
    let row = crate::rows::one_where(
        &mut **transaction,
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE c.organization_id = $1 AND c.id = $2"),
        organization,
        id,
    )
    .await?;
    from_row(&row)
}

impl Scoped<'_> {
    /// One person's checks, newest first by id, filtered by status at `now`.
    pub async fn checks_of(
        &self,
        person: PersonId,
        filter: CheckFilter,
        page: PageRequest,
    ) -> Result<Listing<Check>, StoreError> {
        let stamp = to_db(now());
        let status_clause = match filter.status {
            None => "",
            Some(CheckStatus::Pending) => " AND c.answer IS NULL AND c.expires_at > $5",
            Some(CheckStatus::Answered) => " AND c.answer IS NOT NULL",
            Some(CheckStatus::Expired) => " AND c.answer IS NULL AND c.expires_at <= $5",
        };
        let after = page.before_id();
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE c.organization_id = $1 AND \
                c.respondent_person_id = $2 AND c.id < $3{status_clause} ORDER BY c.id DESC \
                LIMIT $4"
        );
        let mut query = sqlx::query(&sql)
            .bind(self.organization.0)
            .bind(person.0)
            .bind(after)
            .bind(page.fetch_limit());
        if matches!(
            filter.status,
            Some(CheckStatus::Pending | CheckStatus::Expired)
        ) {
            query = query.bind(stamp);
        }
        let rows = query.fetch_all(self.store.reader()).await?;
        page.listing_from(&rows, from_row, |check| check.id)
    }

    pub async fn check(&self, id: i64) -> Result<Check, StoreError> {
        let row = crate::rows::one_where(
            self.store.reader(),
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE c.organization_id = $1 AND c.id = $2"),
            self.organization,
            id,
        )
        .await?;
        from_row(&row)
    }

    /// The check of a request, if it was asked.
    pub async fn check_of_request(&self, request: i64) -> Result<Option<Check>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE c.organization_id = $1 AND c.request_id = $2"
        ))
        .bind(self.organization.0)
        .bind(request)
        .fetch_optional(self.store.reader())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Records the respondent's answer once. `not_met` reopens a resolved
    /// request (when its service says so) and tells the provider's leads; a
    /// thank-you is issued when the organization gives one.
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, id = id, respondent = respondent.0))]
    pub async fn answer_check(
        &self,
        id: i64,
        respondent: PersonId,
        response: CheckResponse,
        at: Timestamp,
    ) -> Result<AnsweredCheck, StoreError> {
        let organization = self.organization;
        let context = self.clock_context().await?;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    let check = fetch(transaction, organization, id).await?;
                    if check.respondent_person_id != respondent {
                        // Someone else's check is not theirs to see, let alone answer.
                        return Err(StoreError::NotFound);
                    }
                    match check.status(at) {
                        CheckStatus::Answered => {
                            return Err(StoreError::Conflict {
                                field: None,
                                message: "this check \
                                has already been answered"
                                    .to_owned(),
                            });
                        }
                        CheckStatus::Expired => {
                            return Err(StoreError::Conflict {
                                field: None,
                                message: "this check \
                                expired; checks can be answered for 14 days"
                                    .to_owned(),
                            });
                        }
                        CheckStatus::Pending => {}
                    }
                    let stamp = to_db(at);
                    // Conditional on still being unanswered: of two racing answers one wins.
                    let updated = sqlx::query(
                        "UPDATE checks SET answer = $1, rating = $2, comment = $3, \
                            answered_at = $4 WHERE organization_id = $5 AND id = $6 AND \
                            answer IS NULL",
                    )
                    .bind(response.answer.as_str())
                    .bind(response.rating)
                    .bind(response.comment.clone())
                    .bind(stamp.clone())
                    .bind(organization.0)
                    .bind(id)
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                    if updated == 0 {
                        return Err(StoreError::Conflict {
                            field: None,
                            message: "this check has \
                            already been answered"
                                .to_owned(),
                        });
                    }
                    let mut rollup = RollupChanges::default();
                    rollup.add_check(
                        check.provider_department_id,
                        check.consumer_department_id,
                        at,
                        response.answer,
                    );
                    crate::health_rollup::apply(transaction, organization, &rollup).await?;
                    let after = serde_json::json!({
                        "check_id": id,
                        "answer": response.answer.as_str(),
                        "rating": response.rating,
                    });
                    record_event(
                        transaction,
                        organization,
                        NewEvent::new(check.request_id, Some(respondent), "check_answered", &stamp)
                            .changing(serde_json::json!({}), after)
                            .noting(&response.comment),
                    )
                    .await?;
                    let mut reopened = false;
                    let mut leads_told = Vec::new();
                    if response.answer == CheckAnswer::NotMet {
                        reopened = reopen_if_configured(
                            transaction,
                            organization,
                            &check,
                            respondent,
                            &stamp,
                            &context,
                        )
                        .await?;
                        leads_told = tell_leads(
                            transaction,
                            organization,
                            &check,
                            &response.comment,
                            &stamp,
                        )
                        .await?;
                    }
                    crate::thank_you::issue(
                        transaction,
                        organization,
                        respondent,
                        &format!("check:{id}"),
                        &stamp,
                    )
                    .await?;
                    let check = fetch(transaction, organization, id).await?;
                    Ok(AnsweredCheck {
                        check,
                        reopened,
                        leads_told,
                    })
                })
            })
            .await
    }

    /// Every unanswered check of the organization, oldest first.
    pub async fn unanswered_checks(&self) -> Result<Vec<Check>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE c.organization_id = $1 AND c.answer IS \
                NULL ORDER BY c.id"
        ))
        .bind(self.organization.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Answered checks of the whole organization in `[from, to)`, for exports.
    pub async fn answered_checks(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Check>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE c.organization_id = $1 AND c.answered_at \
                >= $2 AND c.answered_at < $3 ORDER BY c.id"
        ))
        .bind(self.organization.0)
        .bind(to_db(from))
        .bind(to_db(to))
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }
}

/// Puts a resolved request back to work after a `not_met` answer, when its
/// service reopens on `not_met` (ad hoc requests always do). A request
/// already closed or reopened stays as it is.
async fn reopen_if_configured(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    check: &Check,
    respondent: PersonId,
    stamp: &str,
    context: &ClockContext,
) -> Result<bool, StoreError> {
    let reopens: i64 = match check.service_id {
        Some(service) => sqlx::query_scalar(
            "SELECT reopen_on_not_met FROM services WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization.0)
        .bind(service)
        .fetch_optional(&mut **transaction)
        .await?
        .unwrap_or(1),
        None => 1,
    };
    let request =
        crate::requests::fetch_locked(transaction, organization, check.request_id).await?;
    if reopens == 0 || request.status != Status::Resolved {
        return Ok(false);
    }
    let provider = request.provider_department_id;
    end_period(transaction, organization, check.request_id, stamp).await?;
    start_period(
        transaction,
        organization,
        check.request_id,
        provider,
        false,
        stamp,
    )
    .await?;
    sqlx::query(
        "UPDATE requests SET status = $1, resolved_at = NULL, version = version + 1, \
            updated_at = $2 WHERE organization_id = $3 AND id = $4",
    )
    .bind(Status::InProgress.as_str())
    .bind(stamp.to_owned())
    .bind(organization.0)
    .bind(check.request_id)
    .execute(&mut **transaction)
    .await?;
    let before = serde_json::json!({ "status": Status::Resolved.as_str() });
    let after = serde_json::json!({ "status": Status::InProgress.as_str(), "check_id": check.id });
    record_event(
        transaction,
        organization,
        NewEvent::new(check.request_id, Some(respondent), "reopened", stamp)
            .changing(before, after)
            .noting("The satisfaction check said the request did not meet the expectation."),
    )
    .await?;
    record_outcomes(
        transaction,
        organization,
        check.request_id,
        context,
        &request,
    )
    .await?;
    Ok(true)
}

/// Records on the timeline that the provider's leads were told of a
/// `not_met` answer (the notification itself goes out from there).
async fn tell_leads(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    check: &Check,
    comment: &str,
    stamp: &str,
) -> Result<Vec<PersonId>, StoreError> {
    let leads =
        crate::notifications::leads_of(transaction, organization, check.provider_department_id.0)
            .await?;
    let after = serde_json::json!({
        "check_id": check.id,
        "reason": "check_not_met",
        "notify_person_ids": leads.iter().map(|lead| lead.0).collect::<Vec<_>>(),
    });
    record_event(
        transaction,
        organization,
        NewEvent::new(check.request_id, None, "leads_told", stamp)
            .changing(serde_json::json!({}), after),
    )
    .await?;
    let request = crate::requests::fetch(transaction, organization, check.request_id).await?;
    tell(
        transaction,
        organization,
        &request,
        Telling {
            recipients: &leads,
            actor: None,
            notice: RequestNotice::CheckNotMet { comment },
        },
        stamp,
    )
    .await?;
    Ok(leads)
}
