//! Agreements: the cells of the matrix. An agreement names the services a
//! provider offers a consumer and what the consumer owes back; the leads of
//! either side (and administrators) draft, change and propose it, and it
//! comes into force when the leads of both sides have accepted it. A change
//! to an agreed agreement starts a new version to be accepted again, while
//! the agreed one stays in force; an agreement in force is reviewed on its
//! cadence.

use crate::{AppError, Caller, policy};
use jiff::civil::Date;
use roundtable_domain::ValidationErrors;
use roundtable_domain::agreements::{Obligation, ReviewCadence, parse_obligations};
use roundtable_domain::ids::DepartmentId;
use roundtable_store::agreements::{
    Agreement, AgreementChanges, AgreementFilter, AgreementReview, AgreementVersion, NewAgreement,
};
use roundtable_store::departments::Department;
use roundtable_store::{Listing, PageRequest, StoreError, every_page};

/// The longest notes of an agreement or a review, in characters.
pub const MAX_NOTES: usize = 10_000;

/// Something the consumer owes the provider back, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct ObligationInput {
    pub description: String,
    pub due_within_business_days: Option<i64>,
}

/// A new agreement as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    /// Defaults to quarterly.
    pub review_cadence: Option<String>,
    /// Services of the provider offered to the consumer.
    pub service_ids: Vec<i64>,
    pub obligations: Vec<ObligationInput>,
    pub notes: String,
}

/// A change to an agreement as it arrives: only the fields present change.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub review_cadence: Option<String>,
    pub service_ids: Option<Vec<i64>>,
    pub obligations: Option<Vec<ObligationInput>>,
    pub notes: Option<String>,
    /// The version the caller read.
    pub expected_version: i64,
}

/// A review of the agreement in force, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    /// `YYYY-MM-DD`, not after today; defaults to today.
    pub reviewed_on: Option<String>,
    pub notes: String,
}

/// The obligations checked, each problem under `obligations[i].…`.
fn obligations(errors: &mut ValidationErrors, input: Vec<ObligationInput>) -> Vec<Obligation> {
    let inputs = input
        .into_iter()
        .map(|obligation| (obligation.description, obligation.due_within_business_days))
        .collect();
    errors
        .check("obligations", parse_obligations(inputs))
        .unwrap_or_default()
}

fn notes(errors: &mut ValidationErrors, text: String) -> String {
    if text.chars().count() > MAX_NOTES {
        errors.push("notes", format!("must be at most {MAX_NOTES} characters"));
    }
    text.trim().to_owned()
}

impl Draft {
    /// The draft's cadence, obligations and notes checked (every problem at
    /// once), for the cell of the two departments found.
    pub fn parse(
        self,
        provider: DepartmentId,
        consumer: DepartmentId,
    ) -> Result<NewAgreement, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let review_cadence = match &self.review_cadence {
            Some(cadence) => errors.check("review_cadence", ReviewCadence::parse(cadence)),
            None => Some(ReviewCadence::Quarterly),
        };
        let obligations = obligations(&mut errors, self.obligations);
        let notes = notes(&mut errors, self.notes);
        match review_cadence {
            Some(review_cadence) if errors.is_empty() => Ok(NewAgreement {
                provider_department_id: provider,
                consumer_department_id: consumer,
                review_cadence,
                service_ids: self.service_ids,
                obligations,
                notes,
            }),
            _ => Err(errors),
        }
    }
}

impl Edit {
    /// The changes checked, every problem at once.
    pub fn parse(self) -> Result<AgreementChanges, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let changes = AgreementChanges {
            review_cadence: crate::input::parse_change(
                &mut errors,
                "review_cadence",
                self.review_cadence.as_deref(),
                ReviewCadence::parse,
            ),
            service_ids: self.service_ids.into(),
            obligations: self
                .obligations
                .map(|list| obligations(&mut errors, list))
                .into(),
            notes: self.notes.map(|text| notes(&mut errors, text)).into(),
        };
        errors.finish(|| changes)
    }
}

impl ReviewInput {
    /// The review's date (not after `today`) and notes. A bad date is
    /// reported alone, before the notes are looked at.
    pub fn parse(self, today: Date) -> Result<(Date, String), ValidationErrors> {
        let reviewed_on = match &self.reviewed_on {
            None => today,
            Some(text) => match text.trim().parse::<Date>() {
                Ok(date) if date <= today => date,
                Ok(_) => {
                    return Err(ValidationErrors::single(
                        "reviewed_on",
                        "cannot be in the future",
                    ));
                }
                Err(_) => {
                    return Err(ValidationErrors::single(
                        "reviewed_on",
                        "must be a date as YYYY-MM-DD",
                    ));
                }
            },
        };
        let mut errors = ValidationErrors::new();
        let notes = notes(&mut errors, self.notes);
        errors.finish(|| (reviewed_on, notes))
    }
}

/// A department named in the input: one that does not exist is the input's
/// fault, reported under `field`.
async fn named_department(
    caller: &Caller<'_>,
    id: i64,
    field: &str,
) -> Result<Department, AppError> {
    caller
        .scoped
        .department(DepartmentId(id))
        .await
        .map_err(|error| match error {
            StoreError::NotFound => AppError::invalid(field, "no such department"),
            other => other.into(),
        })
}

/// The agreement's two departments, for the policy checks.
async fn sides(caller: &Caller<'_>, id: i64) -> Result<(Department, Department), AppError> {
    let agreement = caller.scoped.agreement(id).await?;
    let provider = caller
        .scoped
        .department(agreement.provider_department_id)
        .await?;
    let consumer = caller
        .scoped
        .department(agreement.consumer_department_id)
        .await?;
    Ok((provider, consumer))
}

/// One page of agreements, optionally of one provider or consumer (anyone signed in).
#[tracing::instrument(skip_all, fields(provider = ?filter.provider_department_id, consumer = ?filter.consumer_department_id))]
pub async fn list(
    caller: &Caller<'_>,
    filter: AgreementFilter,
    page: PageRequest,
) -> Result<Listing<Agreement>, AppError> {
    Ok(caller.scoped.list_agreements(filter, page).await?)
}

/// Every agreement of the organization.
#[tracing::instrument(skip_all)]
pub async fn all(caller: &Caller<'_>) -> Result<Vec<Agreement>, AppError> {
    every_page(|page| list(caller, AgreementFilter::default(), page)).await
}

/// One agreement with its newest version.
#[tracing::instrument(skip_all, fields(agreement = id))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<Agreement, AppError> {
    Ok(caller.scoped.agreement(id).await?)
}

/// Every version of an agreement, oldest first.
#[tracing::instrument(skip_all, fields(agreement = id))]
pub async fn versions(caller: &Caller<'_>, id: i64) -> Result<Vec<AgreementVersion>, AppError> {
    Ok(caller.scoped.agreement_versions(id).await?)
}

/// The reviews of an agreement, newest first.
#[tracing::instrument(skip_all, fields(agreement = id))]
pub async fn reviews(caller: &Caller<'_>, id: i64) -> Result<Vec<AgreementReview>, AppError> {
    Ok(caller.scoped.agreement_reviews(id).await?)
}

/// Drafts the agreement of a provider → consumer cell (leads of either
/// side, administrators). Departments that do not exist are the input's
/// fault; the cadence defaults to quarterly.
#[tracing::instrument(skip_all, fields(provider = draft.provider_department_id, consumer = draft.consumer_department_id))]
pub async fn draft(caller: &Caller<'_>, draft: Draft) -> Result<Agreement, AppError> {
    let provider = named_department(
        caller,
        draft.provider_department_id,
        "provider_department_id",
    )
    .await?;
    let consumer = named_department(
        caller,
        draft.consumer_department_id,
        "consumer_department_id",
    )
    .await?;
    policy::manage_agreement(caller.actor, &provider, &consumer)?;
    let new = draft.parse(provider.id, consumer.id)?;
    Ok(caller.scoped.create_agreement(new).await?)
}

/// Changes an agreement at the version the caller read (leads of either
/// side, administrators); an agreed one gets a new version to accept again.
#[tracing::instrument(skip_all, fields(agreement = id, expected_version = edit.expected_version))]
pub async fn change(caller: &Caller<'_>, id: i64, edit: Edit) -> Result<Agreement, AppError> {
    let (provider, consumer) = sides(caller, id).await?;
    policy::manage_agreement(caller.actor, &provider, &consumer)?;
    let expected_version = edit.expected_version;
    let changes = edit.parse()?;
    Ok(caller
        .scoped
        .update_agreement(id, changes, expected_version)
        .await?)
}

/// Deletes an agreement that was never in force (leads of either side, administrators).
#[tracing::instrument(skip_all, fields(agreement = id, ?expected_version))]
pub async fn delete(
    caller: &Caller<'_>,
    id: i64,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let (provider, consumer) = sides(caller, id).await?;
    policy::manage_agreement(caller.actor, &provider, &consumer)?;
    Ok(caller.scoped.delete_agreement(id, expected_version).await?)
}

/// Puts the newest (draft) version to both sides' leads (leads of either
/// side, administrators), at the version read when one is given.
#[tracing::instrument(skip_all, fields(agreement = id, ?expected_version))]
pub async fn propose(
    caller: &Caller<'_>,
    id: i64,
    expected_version: Option<i64>,
) -> Result<Agreement, AppError> {
    let (provider, consumer) = sides(caller, id).await?;
    policy::manage_agreement(caller.actor, &provider, &consumer)?;
    // An agreement says what is delivered, or what is owed back: one that
    // says neither has nothing for the other lead to accept.
    let agreement = caller.scoped.agreement(id).await?;
    if let Some(expected) = expected_version
        && expected != agreement.version
    {
        return Err(AppError::PreconditionFailed {
            current_version: agreement.version,
        });
    }
    if agreement.current.service_ids.is_empty() && agreement.current.obligations.is_empty() {
        return Err(AppError::invalid(
            "service_ids",
            "choose at least one service of this cell (or add an obligation) before proposing the agreement",
        ));
    }
    Ok(caller
        .scoped
        .propose_agreement(id, caller.actor.person_id, expected_version)
        .await?)
}

/// Accepts the proposed version for the side(s) the caller leads (only the
/// departments' own leads, not administrators); agreed, and in force from
/// `today`, once both sides have.
#[tracing::instrument(skip_all, fields(agreement = id, ?expected_version))]
pub async fn accept(
    caller: &Caller<'_>,
    id: i64,
    expected_version: Option<i64>,
    today: Date,
) -> Result<Agreement, AppError> {
    let (provider, consumer) = sides(caller, id).await?;
    let sides = policy::accepting_sides(caller.actor, &provider, &consumer)?;
    Ok(caller
        .scoped
        .accept_agreement(id, caller.actor.person_id, sides, today, expected_version)
        .await?)
}

/// Records a review of the agreement in force (leads of either side,
/// administrators); the next review falls one cadence later.
#[tracing::instrument(skip_all, fields(agreement = id))]
pub async fn review(
    caller: &Caller<'_>,
    id: i64,
    input: ReviewInput,
    today: Date,
) -> Result<AgreementReview, AppError> {
    let (provider, consumer) = sides(caller, id).await?;
    policy::manage_agreement(caller.actor, &provider, &consumer)?;
    let (reviewed_on, notes) = input.parse(today)?;
    Ok(caller
        .scoped
        .review_agreement(id, reviewed_on, notes, Some(caller.actor.person_id))
        .await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::input::fields;
    use jiff::civil::date;

    #[test]
    fn a_draft_defaults_to_quarterly_and_reports_every_problem() {
        let new = Draft {
            notes: "  Leads weekly  ".to_owned(),
            ..Draft::default()
        }
        .parse(DepartmentId(1), DepartmentId(2))
        .unwrap();
        assert_eq!(new.review_cadence, ReviewCadence::Quarterly);
        assert_eq!(new.notes, "Leads weekly");

        let errors = Draft {
            review_cadence: Some("fortnightly".to_owned()),
            obligations: vec![ObligationInput {
                description: String::new(),
                due_within_business_days: Some(-1),
            }],
            notes: "x".repeat(MAX_NOTES + 1),
            ..Draft::default()
        }
        .parse(DepartmentId(1), DepartmentId(2))
        .unwrap_err();
        let fields = fields(&errors);
        assert_eq!(fields.first(), Some(&"review_cadence"));
        assert!(
            fields
                .iter()
                .any(|field| field.starts_with("obligations[0]"))
        );
        assert_eq!(fields.last(), Some(&"notes"));
    }

    #[test]
    fn an_edit_changes_only_what_it_names() {
        let changes = Edit {
            notes: Some("New terms".to_owned()),
            ..Edit::default()
        }
        .parse()
        .unwrap();
        assert!(matches!(
            changes.review_cadence,
            roundtable_store::Change::Keep
        ));
        assert!(matches!(
            changes.service_ids,
            roundtable_store::Change::Keep
        ));
        assert!(
            matches!(changes.notes, roundtable_store::Change::Set(ref notes) if notes == "New terms")
        );

        let errors = Edit {
            review_cadence: Some("daily".to_owned()),
            ..Edit::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(fields(&errors), ["review_cadence"]);
    }

    #[test]
    fn a_review_is_dated_today_or_earlier() {
        let today = date(2027, 3, 31);
        let (day, notes) = ReviewInput::default().parse(today).unwrap();
        assert_eq!((day, notes.as_str()), (today, ""));
        let (day, _) = ReviewInput {
            reviewed_on: Some(" 2027-03-01 ".to_owned()),
            notes: String::new(),
        }
        .parse(today)
        .unwrap();
        assert_eq!(day, date(2027, 3, 1));
        for (text, message) in [
            ("2027-04-01", "cannot be in the future"),
            ("31/03/2027", "must be a date as YYYY-MM-DD"),
        ] {
            let errors = ReviewInput {
                reviewed_on: Some(text.to_owned()),
                notes: "x".repeat(MAX_NOTES + 1),
            }
            .parse(today)
            .unwrap_err();
            assert_eq!(fields(&errors), ["reviewed_on"]);
            assert_eq!(errors.0[0].message, message);
        }
    }
}
