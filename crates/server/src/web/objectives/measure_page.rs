//! One measure's page: its check-in history drawn as a line chart, and the
//! check-in form.

use super::*;

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

pub(super) const CHART_WIDTH: i64 = 560;
pub(super) const CHART_HEIGHT: i64 = 200;
pub(super) const CHART_LEFT: i64 = 90;
pub(super) const CHART_RIGHT: i64 = 540;
pub(super) const CHART_TOP: i64 = 20;
pub(super) const CHART_BOTTOM: i64 = 180;

pub(super) fn line_chart(measure: &MeasureView, checkins: &[Checkin]) -> LineChart {
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
    pub(super) layout: Layout,
    pub(super) objective: ObjectiveCard,
    pub(super) measure: MeasureCard,
    pub(super) chart: LineChart,
    pub(super) checkins: Vec<CheckinRow>,
    pub(super) can_check_in: bool,
    pub(super) form: FormData,
    pub(super) errors: FieldErrors,
    pub(super) message: Option<String>,
}

pub(super) async fn measure_page(
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
    PageId(id): PageId,
) -> Result<Response, WebError> {
    let page = measure_page(
        &state,
        &viewer,
        id,
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
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
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
