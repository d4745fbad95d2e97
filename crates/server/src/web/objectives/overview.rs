//! The objectives page of a period: objectives with their measures, department
//! goals and the forms that set an objective or a goal.

use super::*;

/// A department contributing to a measure, and what it will do.
#[derive(Debug, Clone)]
pub struct ContributorRow {
    pub name: String,
    pub statement: String,
}

/// A measure with its progress bar, numbers and contributors, in words.
#[derive(Debug, Clone)]
pub struct MeasureCard {
    pub id: i64,
    pub name: String,
    pub unit: String,
    /// "higher is better" or "lower is better".
    pub direction: &'static str,
    pub baseline: String,
    pub current: String,
    pub target: String,
    /// Progress from baseline to target, 0–100.
    pub percent: i64,
    pub status: &'static str,
    pub tone: &'static str,
    pub mutual: bool,
    pub reached: bool,
    pub contributors: Vec<ContributorRow>,
}

impl MeasureCard {
    pub fn new(measure: &MeasureView) -> Self {
        let (status, tone) = status_words(&measure.status);
        MeasureCard {
            id: measure.id,
            name: measure.name.clone(),
            unit: measure.unit.clone(),
            direction: if measure.direction == "decrease" {
                "lower is better"
            } else {
                "higher is better"
            },
            baseline: number(measure.baseline),
            current: number(measure.current),
            target: number(measure.target),
            percent: (measure.progress * 100.0).round() as i64,
            status,
            tone,
            mutual: measure.mutual,
            reached: measure.target_reached,
            contributors: measure
                .contributors
                .iter()
                .map(|contributor| ContributorRow {
                    name: contributor.department_name.clone(),
                    statement: contributor.statement.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ObjectiveCard {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub period: String,
    pub category: &'static str,
    pub owner: String,
    pub percent: Option<i64>,
    pub status: &'static str,
    pub tone: &'static str,
    pub measures: Vec<MeasureCard>,
}

impl ObjectiveCard {
    pub(super) fn new(objective: &ObjectiveView, directory: &Directory) -> Self {
        let (status, tone) = status_words(objective.status.as_deref().unwrap_or_default());
        ObjectiveCard {
            id: objective.id,
            title: objective.title.clone(),
            description: objective.description.clone(),
            period: objective.period.clone(),
            category: category_words(&objective.category),
            owner: match objective.owner_person_id {
                Some(owner) => directory.person_name(Some(owner)),
                None => "No owner named".to_owned(),
            },
            percent: objective
                .progress
                .map(|progress| (progress * 100.0).round() as i64),
            status,
            tone,
            measures: objective.measures.iter().map(MeasureCard::new).collect(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct GoalRow {
    pub department: String,
    pub title: String,
    pub description: String,
    /// The objective it serves, or `None` when unaligned.
    pub objective: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "objectives.html")]
pub struct ObjectivesPage {
    pub(super) layout: Layout,
    pub(super) period: String,
    pub(super) periods: Vec<String>,
    pub(super) current_period: String,
    pub(super) objectives: Vec<ObjectiveCard>,
    pub(super) goals: Vec<GoalRow>,
    pub(super) unaligned: usize,
    pub(super) errors: FieldErrors,
    /// Executives and administrators set objectives and their measures.
    pub(super) can_steer: bool,
    /// The departments whose goals the viewer may set.
    pub(super) goal_departments: Vec<(i64, String)>,
    pub(super) people: Vec<(i64, String)>,
    pub(super) categories: [(&'static str, &'static str); 5],
    /// The objectives of the period, for the goal form.
    pub(super) period_objectives: Vec<(i64, String)>,
    pub(super) form: FormData,
    pub(super) failed: ActionError,
}

impl ObjectivesPage {
    /// A field's value: as sent when that form was refused, else `default`.
    pub fn kept<'a>(&'a self, action: &str, field: &str, default: &'a str) -> &'a str {
        if self.failed.action == action {
            self.form.get(field)
        } else {
            default
        }
    }

    pub fn error(&self, action: &str, field: &str) -> Option<&str> {
        self.failed.error(action, field)
    }
}

/// The categories of objectives, as the select offers them.
pub const CATEGORIES: [(&str, &str); 5] = [
    ("revenue", "Revenue"),
    ("repeat_business", "Repeat business"),
    ("referrals", "Referrals"),
    ("reputation", "Reputation"),
    ("other", "Other"),
];

/// Every objective (of one period, or all), with measures, as the API shows them.
pub(crate) async fn all_objectives(
    state: &AppState,
    actor: &Actor,
    period: Option<String>,
) -> Result<Vec<ObjectiveView>, ApiError> {
    let period = period_filter(period.as_deref())?;
    let today = today();
    Ok(app::all(&Caller::new(&state.store, actor), period)
        .await?
        .into_iter()
        .map(|objective| ObjectiveView::of(objective, today))
        .collect())
}

#[derive(Debug, serde::Deserialize)]
pub struct PeriodQuery {
    pub(super) period: Option<String>,
}

/// `GET /objectives?period=2027-Q1`: the objectives of a period (the current
/// quarter unless another is picked), their measures, and department goals.
pub async fn show_objectives(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let (status, page) = objectives_page(
        &state,
        &viewer,
        query.period,
        FormData::default(),
        ActionError::default(),
    )
    .await?;
    Ok(render(status, &page))
}

pub(super) async fn objectives_page(
    state: &AppState,
    viewer: &Viewer,
    period: Option<String>,
    form: FormData,
    failed: ActionError,
) -> Result<(StatusCode, ObjectivesPage), WebError> {
    let current_period = current_quarter(today());
    let asked = period
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| current_period.clone());
    let scoped = state.scoped(&viewer.actor);
    let directory = Directory::load(&scoped).await?;
    let everything = all_objectives(state, &viewer.actor, None).await?;
    let mut periods: Vec<Period> = everything
        .iter()
        .filter_map(|objective| Period::parse(&objective.period).ok())
        .chain(Period::parse(&current_period).ok())
        .chain(Period::parse(&asked).ok())
        .collect();
    periods.sort_by(|a, b| b.cmp(a));
    periods.dedup();
    let periods: Vec<String> = periods.iter().map(Period::to_string).collect();
    let actor = &viewer.actor;
    let mut page = ObjectivesPage {
        layout: Layout::new(viewer, "Objectives", "objectives"),
        period: asked.clone(),
        periods,
        current_period,
        objectives: Vec::new(),
        goals: Vec::new(),
        unaligned: 0,
        errors: FieldErrors::default(),
        can_steer: policy::steer_objectives(actor).is_ok(),
        goal_departments: directory
            .departments
            .iter()
            .filter(|department| policy::manage_goals_of(actor, department).is_ok())
            .map(|department| (department.id.0, department.name.clone()))
            .collect(),
        people: directory
            .people_by_name()
            .into_iter()
            .map(|person| (person.id.0, person.name.clone()))
            .collect(),
        categories: CATEGORIES,
        period_objectives: Vec::new(),
        form,
        failed,
    };
    let Ok(period) = Period::parse(&asked) else {
        page.errors = FieldErrors::single(
            "period",
            "must be a period such as 2027, 2027-H1, 2027-Q1 or 2027-03",
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page));
    };
    let caller = Caller::new(&state.store, actor);
    let objectives: Vec<ObjectiveView> = app::all(&caller, Some(period))
        .await?
        .into_iter()
        .map(|objective| ObjectiveView::of(objective, today()))
        .collect();
    let goals = app::all_goals(
        &caller,
        GoalFilter {
            period: Some(period),
            ..GoalFilter::default()
        },
    )
    .await?;
    let period = period.to_string();
    let objective_title = |id: i64| {
        everything
            .iter()
            .find(|objective| objective.id == id)
            .map(|objective| format!("{} ({})", objective.title, objective.period))
            .unwrap_or_else(|| format!("Objective {id}"))
    };
    let mut goals: Vec<GoalRow> = goals
        .iter()
        .map(|goal| GoalRow {
            department: directory.department_name(goal.department_id.0),
            title: goal.title.clone(),
            description: goal.description.clone(),
            objective: goal.objective_id.map(objective_title),
        })
        .collect();
    goals.sort_by(|a, b| a.department.cmp(&b.department).then(a.title.cmp(&b.title)));
    page.layout = Layout::new(viewer, format!("Objectives {period}"), "objectives");
    page.unaligned = goals.iter().filter(|goal| goal.objective.is_none()).count();
    page.period_objectives = objectives
        .iter()
        .map(|objective| (objective.id, objective.title.clone()))
        .collect();
    page.objectives = objectives
        .iter()
        .map(|objective| ObjectiveCard::new(objective, &directory))
        .collect();
    page.goals = goals;
    page.period = period;
    Ok((StatusCode::OK, page))
}

/// After a form of the objectives page: its period again, at what was made,
/// or with the problem at the refused form and the values kept.
pub(super) async fn after_objectives_form(
    state: &AppState,
    viewer: &Viewer,
    action: &'static str,
    form: FormData,
    outcome: Result<i64, ApiError>,
    anchor: &str,
) -> Result<Response, WebError> {
    let period = form.get("period").trim().to_owned();
    let success = outcome.map(|id| {
        format!(
            "/objectives?period={}#{anchor}-{id}",
            form_urlencoded::byte_serialize(period.as_bytes()).collect::<String>()
        )
    });
    let location = success.as_deref().unwrap_or("/objectives").to_owned();
    after_action(
        success,
        action,
        "the objectives",
        &location,
        async |failed| {
            let (_, page) = objectives_page(state, viewer, Some(period), form, failed).await?;
            Ok(page)
        },
    )
    .await
}

/// `POST /objectives`: sets a corporate objective (executives, administrators).
pub async fn set_objective(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = app::create(
        &Caller::new(&state.store, &viewer.actor),
        ObjectiveInput {
            period: form.get("period").trim().to_owned(),
            title: form.get("title").to_owned(),
            description: form.get("description").to_owned(),
            category: form.get("category").to_owned(),
            owner_person_id: form.get("owner_person_id").trim().parse::<i64>().ok(),
        },
    )
    .await
    .map(|objective| objective.id)
    .map_err(ApiError::from);
    after_objectives_form(&state, &viewer, "objective", form, outcome, "objective").await
}

/// `POST /goals`: sets a department goal, serving an objective or flagged unaligned.
pub async fn set_goal(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let outcome = match form.get("department_id").trim().parse::<i64>() {
        Ok(department_id) => app::set_goal(
            &Caller::new(&state.store, &viewer.actor),
            GoalInput {
                department_id,
                objective_id: form.get("objective_id").trim().parse::<i64>().ok(),
                period: form.get("period").trim().to_owned(),
                title: form.get("title").to_owned(),
                description: form.get("description").to_owned(),
            },
        )
        .await
        .map(|goal| goal.id)
        .map_err(ApiError::from),
        Err(_) => Err(ApiError::invalid(
            "department_id",
            "choose the department whose goal it is",
        )),
    };
    after_objectives_form(&state, &viewer, "goal", form, outcome, "goals-heading").await
}
