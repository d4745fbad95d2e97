//! Corporate objectives, their measures and check-ins, department goals and
//! alignment reviews in the browser. Objectives, measures, check-ins and
//! goals are the use cases of `app::objectives`, alignment reviews and their
//! generated agenda those of `app::reviews`, the same the API calls.
//! Progress and status are the domain's arithmetic, never the page's.

use super::directory::Directory;
use super::format::instant;
use super::{
    ActionError, FieldErrors, FormData, Layout, SignedForm, Viewer, WebError, after_action,
    errors_at_rows, render,
};
use crate::AppState;
use crate::api::agreements::today;
use crate::api::objectives::{MeasureView, ObjectiveView};
use crate::api::reviews::{self as reviews_api, AgendaCell, ReviewView, review_view};
use crate::api::sessions::ActionView;
use crate::api::topics::TopicView;
use crate::policy;
use crate::problem::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use jiff::civil::Date;
use roundtable_app::Caller;
use roundtable_app::objectives::{
    self as app, CheckinInput, ContributorInput as MeasureContributor, GoalInput, MeasureInput,
    ObjectiveInput,
};
use roundtable_app::reviews as app_reviews;
use roundtable_domain::ValidationErrors;
use roundtable_domain::objectives::Period;
use roundtable_store::auth::Actor;
use roundtable_store::objectives::{Checkin, GoalFilter};

/// The pages of objectives, measures and alignment reviews.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/objectives", get(show_objectives).post(set_objective))
        .route("/objectives/{id}/measures/new", get(show_measure_form))
        .route("/objectives/{id}/measures", post(add_measure))
        .route("/goals", post(set_goal))
        .route("/measures/{id}", get(show_measure))
        .route("/measures/{id}/checkins", post(check_in))
        .route("/reviews", get(show_reviews))
        .route("/reviews/{id}", get(show_review))
}

/// A number as people write it: `12`, `3.5`, `0.25`.
pub(crate) fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        // Halves round away from zero, as people do (formatting alone would
        // round 0.125 to the even 0.12).
        let rounded = (value * 100.0).round() / 100.0;
        let text = format!("{rounded:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A progress or objective status in words, and the tone that colours it.
pub(crate) fn status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "on_track" => ("On track", "ok"),
        "at_risk" => ("At risk", "warn"),
        "off_track" => ("Off track", "bad"),
        _ => ("No measures yet", "none"),
    }
}

pub(crate) fn category_words(category: &str) -> &'static str {
    match category {
        "revenue" => "Revenue",
        "repeat_business" => "Repeat business",
        "referrals" => "Referrals",
        "reputation" => "Reputation",
        _ => "Other",
    }
}

/// The quarter `today` falls in, the period the objectives page opens on.
fn current_quarter(today: Date) -> String {
    format!("{}-Q{}", today.year(), (today.month() - 1) / 3 + 1)
}

fn record_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)
}

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
    fn new(objective: &ObjectiveView, directory: &Directory) -> Self {
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
    layout: Layout,
    period: String,
    periods: Vec<String>,
    current_period: String,
    objectives: Vec<ObjectiveCard>,
    goals: Vec<GoalRow>,
    unaligned: usize,
    errors: FieldErrors,
    /// Executives and administrators set objectives and their measures.
    can_steer: bool,
    /// The departments whose goals the viewer may set.
    goal_departments: Vec<(i64, String)>,
    people: Vec<(i64, String)>,
    categories: [(&'static str, &'static str); 5],
    /// The objectives of the period, for the goal form.
    period_objectives: Vec<(i64, String)>,
    form: FormData,
    failed: ActionError,
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
    let period = period
        .as_deref()
        .map(|text| {
            Period::parse(text)
                .map_err(|_| ApiError::invalid("period", "must be a period such as 2027-Q1"))
        })
        .transpose()?;
    let today = today();
    Ok(app::all(&Caller::new(&state.store, actor), period)
        .await?
        .into_iter()
        .map(|objective| ObjectiveView::of(objective, today))
        .collect())
}

#[derive(Debug, serde::Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
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

async fn objectives_page(
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
async fn after_objectives_form(
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

/// Blank contributor rows of the measure form (no script adds rows).
const CONTRIBUTOR_ROWS: usize = 4;

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
    layout: Layout,
    objective: ObjectiveCard,
    departments: Vec<(i64, String)>,
    contributors: Vec<ContributorInput>,
    form: FormData,
    failed: ActionError,
}

impl MeasureFormPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.failed.errors.get(field)
    }

    pub fn invalid(&self, field: &str) -> bool {
        self.error(field).is_some()
    }
}

fn contributor_inputs(form: &FormData) -> Vec<ContributorInput> {
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

async fn measure_form_page(
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
        departments: directory
            .departments
            .iter()
            .map(|department| (department.id.0, department.name.clone()))
            .collect(),
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
    let page = measure_form_page(
        &state,
        &viewer,
        record_id(&id)?,
        form,
        ActionError::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

fn number_field(form: &FormData, field: &str, errors: &mut ValidationErrors) -> f64 {
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
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let objective_id = record_id(&id)?;
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

/// One point of the check-in chart, in SVG units.
#[derive(Debug, Clone)]
pub struct ChartPoint {
    pub x: i64,
    pub y: i64,
    pub label: String,
}

/// A small line chart of a measure's check-ins against its baseline and target.
#[derive(Debug, Clone)]
pub struct LineChart {
    pub width: i64,
    pub height: i64,
    pub points: Vec<ChartPoint>,
    /// The polyline's `points` attribute.
    pub line: String,
    pub baseline_y: i64,
    pub target_y: i64,
    pub baseline: String,
    pub target: String,
}

const CHART_WIDTH: i64 = 560;
const CHART_HEIGHT: i64 = 200;
const CHART_LEFT: i64 = 90;
const CHART_RIGHT: i64 = 540;
const CHART_TOP: i64 = 20;
const CHART_BOTTOM: i64 = 180;

fn line_chart(measure: &MeasureView, checkins: &[Checkin]) -> LineChart {
    let values: Vec<f64> = checkins.iter().map(|checkin| checkin.value).collect();
    let low = values
        .iter()
        .copied()
        .chain([measure.baseline, measure.target])
        .fold(f64::INFINITY, f64::min);
    let high = values
        .iter()
        .copied()
        .chain([measure.baseline, measure.target])
        .fold(f64::NEG_INFINITY, f64::max);
    let span = if high > low { high - low } else { 1.0 };
    let y = |value: f64| {
        CHART_BOTTOM - ((value - low) / span * (CHART_BOTTOM - CHART_TOP) as f64).round() as i64
    };
    let count = checkins.len() as i64;
    let x = |index: i64| {
        if count <= 1 {
            (CHART_LEFT + CHART_RIGHT) / 2
        } else {
            CHART_LEFT + index * (CHART_RIGHT - CHART_LEFT) / (count - 1)
        }
    };
    let points: Vec<ChartPoint> = checkins
        .iter()
        .zip(0i64..)
        .map(|(checkin, index)| ChartPoint {
            x: x(index),
            y: y(checkin.value),
            label: format!(
                "{}: {} {}",
                checkin.recorded_on,
                number(checkin.value),
                measure.unit
            ),
        })
        .collect();
    LineChart {
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        line: points
            .iter()
            .map(|point| format!("{},{}", point.x, point.y))
            .collect::<Vec<_>>()
            .join(" "),
        points,
        baseline_y: y(measure.baseline),
        target_y: y(measure.target),
        baseline: number(measure.baseline),
        target: number(measure.target),
    }
}

#[derive(Debug, Clone)]
pub struct CheckinRow {
    pub recorded_on: String,
    pub value: String,
    pub note: String,
    pub author: String,
}

#[derive(Debug, Template)]
#[template(path = "measure.html")]
pub struct MeasurePage {
    layout: Layout,
    objective: ObjectiveCard,
    measure: MeasureCard,
    chart: LineChart,
    checkins: Vec<CheckinRow>,
    can_check_in: bool,
    form: FormData,
    errors: FieldErrors,
    message: Option<String>,
}

async fn measure_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    form: FormData,
    errors: FieldErrors,
    message: Option<String>,
) -> Result<MeasurePage, WebError> {
    let actor = &viewer.actor;
    let caller = Caller::new(&state.store, actor);
    let stored = app::get_measure(&caller, id).await?;
    let contributors: Vec<_> = stored
        .contributors
        .iter()
        .map(|contributor| contributor.department_id)
        .collect();
    let today = today();
    let measure = MeasureView::new(stored, today);
    let objective = ObjectiveView::of(app::get(&caller, measure.objective_id).await?, today);
    let directory = Directory::load(&caller.scoped).await?;
    let checkins = app::checkins(&caller, id).await?;
    Ok(MeasurePage {
        layout: Layout::new(viewer, measure.name.clone(), "objectives"),
        objective: ObjectiveCard::new(&objective, &directory),
        chart: line_chart(&measure, &checkins),
        measure: MeasureCard::new(&measure),
        checkins: checkins
            .iter()
            .rev()
            .map(|checkin| CheckinRow {
                recorded_on: checkin.recorded_on.to_string(),
                value: number(checkin.value),
                note: checkin.note.clone(),
                author: match checkin.author_person_id {
                    Some(author) => directory.person_name(Some(author.0)),
                    None => "Roundtable".to_owned(),
                },
            })
            .collect(),
        can_check_in: policy::check_in(actor, &contributors).is_ok(),
        form,
        errors,
        message,
    })
}

/// `GET /measures/{id}`: a measure with its check-in history and the check-in form.
pub async fn show_measure(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let page = measure_page(
        &state,
        &viewer,
        record_id(&id)?,
        FormData::default(),
        FieldErrors::default(),
        None,
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /measures/{id}/checkins`: records a value (`app::objectives::check_in`),
/// or shows the form again with the problem at its field and the values kept.
pub async fn check_in(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = record_id(&id)?;
    let text = form.get("value").trim();
    let outcome = if text.is_empty() {
        Err(ApiError::invalid("value", "enter the value you measured"))
    } else {
        match text.parse::<f64>() {
            Ok(value) => app::check_in(
                &Caller::new(&state.store, &viewer.actor),
                id,
                CheckinInput {
                    value,
                    note: form.get("note").to_owned(),
                    recorded_on: None,
                },
            )
            .await
            .map(|_| ())
            .map_err(ApiError::from),
            Err(_) => Err(ApiError::invalid(
                "value",
                "must be a number such as 42 or 3.5",
            )),
        }
    };
    super::after_action(
        outcome,
        "checkin",
        "this measure",
        &format!("/measures/{id}"),
        async |failed: ActionError| {
            // Field problems get the form's own notice; anything else is the message.
            let message = failed.message.filter(|_| failed.errors.is_empty());
            measure_page(&state, &viewer, id, form, failed.errors, message).await
        },
    )
    .await
}

#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub id: i64,
    pub period: String,
    pub held_on: String,
    pub decisions: usize,
    pub actions: usize,
    pub overdue: usize,
}

#[derive(Debug, Template)]
#[template(path = "reviews.html")]
pub struct ReviewsPage {
    layout: Layout,
    /// Executives and administrators start reviews.
    can_steer: bool,
    reviews: Vec<ReviewRow>,
}

/// `GET /reviews`: the alignment reviews, newest period first.
pub async fn show_reviews(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let mut reviews: Vec<ReviewView> = Vec::new();
    for review in app_reviews::all(&Caller::new(&state.store, &viewer.actor)).await? {
        reviews.push(review_view(&state, &viewer.actor, review).await?);
    }
    reviews.sort_by(|a, b| {
        b.period_start
            .cmp(&a.period_start)
            .then(a.period_end.cmp(&b.period_end))
            .then(b.id.cmp(&a.id))
    });
    let page = ReviewsPage {
        layout: Layout::new(&viewer, "Alignment reviews", "objectives"),
        can_steer: policy::steer_objectives(&viewer.actor).is_ok(),
        reviews: reviews
            .iter()
            .map(|review| ReviewRow {
                id: review.id,
                period: review.period.clone(),
                held_on: review
                    .held_on
                    .clone()
                    .unwrap_or_else(|| "not held yet".to_owned()),
                decisions: review.decisions.len(),
                actions: review.actions.len(),
                overdue: review
                    .actions
                    .iter()
                    .filter(|action| action.overdue)
                    .count(),
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// A matrix cell the agenda points at, with names.
#[derive(Debug, Clone)]
pub struct AgendaCellRow {
    pub provider_id: i64,
    pub consumer_id: i64,
    pub provider: String,
    pub consumer: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct AgendaTopicRow {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub from: String,
    pub about: String,
    pub votes: i64,
}

/// An action as lists show it: owner, due date and state in words.
#[derive(Debug, Clone)]
pub struct ActionRow {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub due_on: String,
    pub status: &'static str,
    pub overdue: bool,
    pub done_on: Option<String>,
    pub topic_id: Option<i64>,
    pub session_id: Option<i64>,
    pub review_id: Option<i64>,
}

pub(crate) fn action_status_words(status: &str) -> &'static str {
    match status {
        "open" => "Open",
        "in_progress" => "In progress",
        "done" => "Done",
        "dropped" => "Dropped",
        _ => "Unknown",
    }
}

impl ActionRow {
    pub fn new(action: &ActionView, directory: &Directory) -> Self {
        ActionRow {
            id: action.id,
            title: action.title.clone(),
            owner: directory.person_name(Some(action.owner_person_id)),
            due_on: action.due_on.clone(),
            status: action_status_words(&action.status),
            overdue: action.overdue,
            done_on: action.done_on.clone(),
            topic_id: action.topic_id,
            session_id: action.session_id,
            review_id: action.review_id,
        }
    }
}

pub(crate) fn topic_kind_words(kind: &str) -> &'static str {
    match kind {
        "frustration" => "Frustration",
        "assumption" => "Assumption",
        "suggestion" => "Suggestion",
        _ => "Topic",
    }
}

impl AgendaTopicRow {
    pub fn new(topic: &TopicView) -> Self {
        AgendaTopicRow {
            id: topic.id,
            title: topic.title.clone(),
            kind: topic_kind_words(&topic.kind),
            from: topic.from_department_name.clone(),
            about: topic
                .about_department_name
                .clone()
                .unwrap_or_else(|| "the whole organization".to_owned()),
            votes: topic.votes,
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    layout: Layout,
    /// Executives and administrators record decisions.
    can_steer: bool,
    /// Leads, executives and administrators add actions.
    can_run: bool,
    review: ReviewView,
    as_of: String,
    off_track: Vec<ObjectiveCard>,
    lowest_health: Vec<AgendaCellRow>,
    perception_gaps: Vec<AgendaCellRow>,
    topics: Vec<AgendaTopicRow>,
    overdue_actions: Vec<ActionRow>,
    actions: Vec<ActionRow>,
    updated: String,
}

fn agenda_cells(cells: &[AgendaCell], directory: &Directory) -> Vec<AgendaCellRow> {
    cells
        .iter()
        .map(|cell| AgendaCellRow {
            provider_id: cell.provider_department_id,
            consumer_id: cell.consumer_department_id,
            provider: directory.department_name(cell.provider_department_id),
            consumer: directory.department_name(cell.consumer_department_id),
            detail: cell.detail.clone(),
        })
        .collect()
}

/// `GET /reviews/{id}`: a review's generated agenda (every section, empty
/// ones saying so), its decisions and its actions.
pub async fn show_review(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = record_id(&id)?;
    let actor = &viewer.actor;
    let scoped = state.scoped(actor);
    let review = review_view(&state, actor, scoped.review(id).await?).await?;
    let agenda = reviews_api::agenda_view(
        app_reviews::agenda(
            &Caller::new(&state.store, actor),
            id,
            today(),
            jiff::Timestamp::now(),
        )
        .await?,
    );
    let directory = Directory::load(&scoped).await?;
    let page = ReviewPage {
        layout: Layout::new(
            &viewer,
            format!("Alignment review {}", review.period),
            "objectives",
        ),
        can_steer: policy::steer_objectives(actor).is_ok(),
        can_run: policy::run_round_table(actor).is_ok(),
        as_of: agenda.as_of.clone(),
        off_track: agenda
            .off_track_objectives
            .iter()
            .map(|objective| ObjectiveCard::new(objective, &directory))
            .collect(),
        lowest_health: agenda_cells(&agenda.lowest_health_cells, &directory),
        perception_gaps: agenda_cells(&agenda.largest_perception_gaps, &directory),
        topics: agenda
            .top_voted_open_topics
            .iter()
            .map(AgendaTopicRow::new)
            .collect(),
        overdue_actions: agenda
            .overdue_actions
            .iter()
            .map(|action| ActionRow::new(action, &directory))
            .collect(),
        actions: review
            .actions
            .iter()
            .map(|action| ActionRow::new(action, &directory))
            .collect(),
        updated: instant(&review.updated_at),
        review,
    };
    Ok(render(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(3.5), "3.5");
        assert_eq!(number(0.125), "0.13");
        assert_eq!(number(-4.0), "-4");
    }

    #[test]
    fn the_current_period_is_the_quarter_of_today() {
        use jiff::civil::date;
        assert_eq!(current_quarter(date(2027, 1, 1)), "2027-Q1");
        assert_eq!(current_quarter(date(2027, 6, 30)), "2027-Q2");
        assert_eq!(current_quarter(date(2027, 11, 30)), "2027-Q4");
    }
}
