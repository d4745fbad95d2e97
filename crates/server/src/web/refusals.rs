//! How a page answers a refused form: the problems beside their fields, a
//! message at the form they belong to, and the page built again by the same
//! function that first showed it. Every page's forms end here, so they all
//! answer a refusal alike.

use super::*;

/// Problems with a form, by field, as the API names them; shown next to each field.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        FieldErrors(vec![(field.to_owned(), message.into())])
    }
}

impl From<ValidationErrors> for FieldErrors {
    fn from(errors: ValidationErrors) -> Self {
        FieldErrors(
            errors
                .0
                .into_iter()
                .map(|error| (error.field, error.message))
                .collect(),
        )
    }
}

/// A page's form that was refused: which form (`action`), the problems by
/// field, and a message for the top of that form. Pages with several forms
/// show it only at the form it belongs to.
#[derive(Debug, Clone, Default)]
pub struct ActionError {
    pub action: &'static str,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

/// A refused form as its page shows it: the status to answer with, the
/// problems beside their fields, and a message for the top of the form.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: StatusCode,
    pub errors: FieldErrors,
    pub message: String,
}

impl Refusal {
    /// The one mapping from a use case's refusal to a page, for every form:
    /// invalid input 422 with each problem at its field; a conflict 409, at
    /// its field when it names one; not allowed 403 with the reason; a stale
    /// version 409 with "Someone changed {subject}…" (`subject` names what
    /// the page is about: "this request"). Anything that is not a refusal
    /// (not found, the database down) stays an error page.
    pub fn of(error: impl Into<ApiError>, subject: &str) -> Result<Refusal, WebError> {
        let refused = |status: StatusCode, errors: FieldErrors, message: String| Refusal {
            status,
            errors,
            message,
        };
        Ok(match error.into() {
            ApiError::Validation(errors) => refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors.into(),
                "Please correct the marked fields.".to_owned(),
            ),
            ApiError::Conflict { field, detail } => refused(
                StatusCode::CONFLICT,
                field
                    .map(|field| FieldErrors::single(&field, detail.clone()))
                    .unwrap_or_default(),
                format!("That step is not possible now: {detail}."),
            ),
            ApiError::Forbidden(detail) => {
                refused(StatusCode::FORBIDDEN, FieldErrors::default(), detail)
            }
            ApiError::PreconditionFailed { .. } => refused(
                StatusCode::CONFLICT,
                FieldErrors::default(),
                format!(
                    "Someone changed {subject} while you were looking at it; check it as it \
                     stands now and send your change again if it still applies."
                ),
            ),
            other => return Err(other.into()),
        })
    }
}

impl ActionError {
    /// What a page with several forms shows when form `action` was refused
    /// (see [`Refusal::of`]), and the status to answer with.
    pub fn from_refusal(
        action: &'static str,
        subject: &str,
        error: ApiError,
    ) -> Result<(StatusCode, Self), WebError> {
        let refusal = Refusal::of(error, subject)?;
        Ok((
            refusal.status,
            ActionError {
                action,
                errors: refusal.errors,
                message: Some(refusal.message),
            },
        ))
    }

    /// A page's only form refused with `errors` at its fields.
    pub fn at_fields(errors: impl Into<FieldErrors>) -> Self {
        ActionError {
            errors: errors.into(),
            ..ActionError::default()
        }
    }

    /// The error of a field, if the refused form is `action`.
    pub fn error(&self, action: &str, field: &str) -> Option<&str> {
        if self.action == action {
            self.errors.get(field)
        } else {
            None
        }
    }

    /// What the refused form `action` sent in `field`, to show it again;
    /// empty for the other forms of the page.
    pub fn kept<'a>(&self, action: &str, form: &'a FormData, field: &str) -> &'a str {
        if self.action == action {
            form.get(field)
        } else {
            ""
        }
    }

    /// The message for the top of form `action`, if it was the refused one.
    pub fn message(&self, action: &str) -> Option<&str> {
        if self.action == action {
            self.message.as_deref()
        } else {
            None
        }
    }
}

/// After a page's form went to the API: on success a redirect to `success`;
/// when refused, the page again, built by `page` with the problem at the
/// refused form (the page keeps the values from the form it captured).
/// Every page's forms end here, so they all answer a refusal alike.
pub async fn after_action<T, E: Into<ApiError>, P: Template>(
    outcome: Result<T, E>,
    action: &'static str,
    subject: &str,
    success: &str,
    page: impl AsyncFnOnce(ActionError) -> Result<P, WebError>,
) -> Result<Response, WebError> {
    match outcome {
        Ok(_) => Ok(see_other(success)),
        Err(error) => {
            let (status, failed) = ActionError::from_refusal(action, subject, error.into())?;
            let page = page(failed).await?;
            Ok(render(status, &page))
        }
    }
}

/// Runs `change` at the version of the record the form was read at (its
/// hidden `version` field); a form without one is stale, and changes nothing.
pub async fn at_version<T, E: Into<ApiError>>(
    form: &FormData,
    change: impl AsyncFnOnce(i64) -> Result<T, E>,
) -> Result<T, ApiError> {
    let Ok(version) = form.get("version").parse::<i64>() else {
        return Err(ApiError::PreconditionFailed { current_version: 0 });
    };
    change(version).await.map_err(Into::into)
}

/// [`at_version`] for a form whose own fields were read first: with
/// `errors` among them the form is refused with them and nothing changes.
pub async fn valid_at_version<T, E: Into<ApiError>>(
    form: &FormData,
    errors: ValidationErrors,
    change: impl AsyncFnOnce(i64) -> Result<T, E>,
) -> Result<T, ApiError> {
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    at_version(form, change).await
}

/// A page as first shown (200): its forms hold `form` (blank, or the
/// record's values to change) and nothing is refused. `page` builds it as for
/// [`after_action`], so a page is built by one function whether shown first or
/// again after a refusal.
pub async fn first_view<P: Template>(
    form: FormData,
    page: impl AsyncFnOnce(FormData, ActionError) -> Result<P, WebError>,
) -> Result<Response, WebError> {
    let page = page(form, ActionError::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// Forms offer lists (obligations, intake fields, contributors) as numbered
/// rows and send only the rows filled in; the API names a problem by the
/// position among those sent (`obligations[1].description`). This names it by
/// the form's row instead (`obligation-3.description`), so the error shows at
/// the row the person filled in. `rows[i]` is the form row of the i-th sent.
pub fn errors_at_rows(
    errors: ValidationErrors,
    list: &str,
    row_prefix: &str,
    rows: &[usize],
) -> ValidationErrors {
    let rename = |field: &str| -> Option<String> {
        let rest = field.strip_prefix(list)?.strip_prefix('[')?;
        let (position, tail) = rest.split_once(']')?;
        let row = rows.get(position.parse::<usize>().ok()?)?;
        Some(format!("{row_prefix}-{row}{tail}"))
    };
    ValidationErrors(
        errors
            .0
            .into_iter()
            .map(|mut error| {
                if let Some(field) = rename(&error.field) {
                    error.field = field;
                }
                error
            })
            .collect(),
    )
}
