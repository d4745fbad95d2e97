//! The form that adds a measure to an objective, with its contributing
//! departments, and what a submitted one does.

use super::*;

/// Blank contributor rows of the measure form (no script adds rows).
pub(super) const CONTRIBUTOR_ROWS: usize = 4;

/// One row of the contributors fieldset.
#[derive(Debug, Clone)]
pub struct ContributorInput {
    pub index: usize,
    pub department_id: String,
    pub statement: String,
}

#[derive(Debug, Template)]
#[template(path = "measure_form.html")]
pub struct MeasureFormPage {
    pub(super) layout: Layout,
    pub(super) objective: ObjectiveCard,
    pub(super) departments: Vec<(i64, String)>,
    pub(super) contributors: Vec<ContributorInput>,
    pub(super) form: FormData,
    pub(super) failed: ActionError,
}

impl MeasureFormPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.failed.errors.get(field)
    }

    pub fn invalid(&self, field: &str) -> bool {
        self.error(field).is_some()
    }
}

pub(super) fn contributor_inputs(form: &FormData) -> Vec<ContributorInput> {
    let sent = (0..CONTRIBUTOR_ROWS + 16).filter_map(|index| {
        let department_id = form.get(&format!("contributor-{index}.department_id"));
        let statement = form.get(&format!("contributor-{index}.statement"));
        (!department_id.trim().is_empty() || !statement.trim().is_empty()).then(|| {
            ContributorInput {
                index,
                department_id: department_id.to_owned(),
                statement: statement.to_owned(),
            }
        })
    });
    let mut rows: Vec<ContributorInput> = sent.collect();
    let next = rows.iter().map(|row| row.index + 1).max().unwrap_or(0);
    let spare = CONTRIBUTOR_ROWS.saturating_sub(rows.len()).max(1);
    rows.extend((next..next + spare).map(|index| ContributorInput {
        index,
        department_id: String::new(),
        statement: String::new(),
    }));
    rows
}

pub(super) async fn measure_form_page(
    state: &AppState,
    viewer: &Viewer,
    objective_id: i64,
    form: FormData,
    failed: ActionError,
) -> Result<MeasureFormPage, WebError> {
    let actor = &viewer.actor;
    policy::steer_objectives(actor)?;
    let objective = ObjectiveView::of(
        app::get(&Caller::new(&state.store, actor), objective_id).await?,
        today(),
    );
    let directory = Directory::load(&state.scoped(actor)).await?;
    Ok(MeasureFormPage {
        layout: Layout::new(
            viewer,
            format!("Add a measure to {}", objective.title),
            "objectives",
        ),
        objective: ObjectiveCard::new(&objective, &directory),
        departments: directory.department_choices(),
        contributors: contributor_inputs(&form),
        form,
        failed,
    })
}

/// `GET /objectives/{id}/measures/new`: the form to add a measure, with its
/// contributing departments (executives, administrators).
pub async fn show_measure_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let mut form = FormData::default();
    form.0.push(("direction".to_owned(), "increase".to_owned()));
    let id = record_id(&id)?;
    first_view(form, async |form, failed| {
        measure_form_page(&state, &viewer, id, form, failed).await
    })
    .await
}

pub(super) fn number_field(form: &FormData, field: &str, errors: &mut ValidationErrors) -> f64 {
    match form.get(field).trim().parse::<f64>() {
        Ok(value) if value.is_finite() => value,
        _ => {
            errors.push(field, "must be a number such as 42 or 3.5");
            0.0
        }
    }
}

/// `POST /objectives/{id}/measures`: adds the measure (`app::objectives::add_measure`);
/// two or more contributing departments make it mutual.
pub async fn add_measure(
    State(state): State<AppState>,
    PageId(objective_id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let mut errors = ValidationErrors::new();
    let baseline = number_field(&form, "baseline", &mut errors);
    let target = number_field(&form, "target", &mut errors);
    let current = if form.get("current").trim().is_empty() {
        None
    } else {
        Some(number_field(&form, "current", &mut errors))
    };
    let rows: Vec<ContributorInput> = contributor_inputs(&form)
        .into_iter()
        .filter(|row| !row.department_id.trim().is_empty() || !row.statement.trim().is_empty())
        .collect();
    let contributors = rows
        .iter()
        .map(|row| MeasureContributor {
            department_id: match row.department_id.trim().parse::<i64>() {
                Ok(id) => id,
                Err(_) => {
                    errors.push(
                        format!("contributor-{}.department_id", row.index),
                        "choose the department",
                    );
                    0
                }
            },
            statement: row.statement.clone(),
        })
        .collect();
    let outcome = if errors.is_empty() {
        app::add_measure(
            &Caller::new(&state.store, &viewer.actor),
            MeasureInput {
                objective_id,
                name: form.get("name").to_owned(),
                unit: form.get("unit").trim().to_owned(),
                direction: form.get("direction").to_owned(),
                baseline,
                target,
                current,
                contributors,
            },
        )
        .await
        .map_err(ApiError::from)
        .map_err(|error| match error {
            ApiError::Validation(errors) => ApiError::Validation(errors_at_rows(
                errors,
                "contributors",
                "contributor",
                &rows.iter().map(|row| row.index).collect::<Vec<_>>(),
            )),
            other => other,
        })
    } else {
        Err(ApiError::Validation(errors))
    };
    let success = outcome.map(|measure| format!("/measures/{}", measure.id));
    let location = success.as_deref().unwrap_or("/objectives").to_owned();
    after_action(
        success,
        "measure",
        "this objective",
        &location,
        async |failed| measure_form_page(&state, &viewer, objective_id, form, failed).await,
    )
    .await
}
