//! The answer form of one cell (the consumer rates its provider, the provider
//! rates itself) and what a submitted one does.

use super::*;

/// One dimension of the answer form, with what was entered and its problems.
#[derive(Debug, Clone)]
pub struct DimensionInput {
    pub key: &'static str,
    pub name: &'static str,
    pub question: &'static str,
    pub expectation: String,
    pub perception: String,
    pub importance: String,
    pub expectation_error: Option<String>,
    pub perception_error: Option<String>,
    pub importance_error: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "pulse_form.html")]
pub struct ResponseFormPage {
    pub(super) layout: Layout,
    pub(super) round_id: i64,
    pub(super) round_name: String,
    pub(super) closes: String,
    pub(super) provider_id: i64,
    pub(super) consumer_id: i64,
    pub(super) provider: String,
    pub(super) consumer: String,
    pub(super) rates_self: bool,
    /// The form can be sent: the round is open and the viewer has not answered.
    pub(super) answerable: bool,
    pub(super) problem: Option<String>,
    pub(super) dimensions: Vec<DimensionInput>,
    pub(super) scale: Vec<(i64, &'static str)>,
    pub(super) comment: String,
    pub(super) errors: FieldErrors,
}

/// The scale's points, with the ends in words.
pub(super) fn scale() -> Vec<(i64, &'static str)> {
    vec![
        (1, "1: strongly disagree"),
        (2, "2"),
        (3, "3"),
        (4, "4: neither"),
        (5, "5"),
        (6, "6"),
        (7, "7: strongly agree"),
    ]
}

pub(super) async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    cell: (i64, i64),
    form: &FormData,
    errors: FieldErrors,
    problem: Option<String>,
) -> Result<(ResponseFormPage, PulseInvitation), WebError> {
    let scoped = state.scoped(&viewer.actor);
    let round = scoped.pulse_round(id).await?;
    let invitation = scoped
        .pulse_invitations(&round, viewer.actor.person_id)
        .await?
        .into_iter()
        .find(|invitation| invitation.provider.0 == cell.0 && invitation.consumer.0 == cell.1)
        .ok_or(WebError::NotFound)?;
    let directory = Directory::load(&scoped).await?;
    let status = round.status(Timestamp::now());
    let problem = problem.or_else(|| match status {
        RoundStatus::Scheduled => Some(format!(
            "This round opens on {}; come back then.",
            instant(&round.opens_at.to_string())
        )),
        RoundStatus::Closed => {
            Some("This round is closed; answers are no longer taken.".to_owned())
        }
        RoundStatus::Open if invitation.answered => {
            Some("You have already answered about this cell in this round. Thank you.".to_owned())
        }
        RoundStatus::Open => None,
    });
    let error_of = |field: String| errors.get(&field).map(str::to_owned);
    let dimensions = Dimension::ALL
        .iter()
        .map(|dimension| {
            let key = dimension.as_str();
            DimensionInput {
                key,
                name: dimension_name(*dimension),
                question: dimension.question(),
                expectation: form.get(&format!("expectation.{key}")).to_owned(),
                perception: form.get(&format!("perception.{key}")).to_owned(),
                importance: form.get(&format!("importance.{key}")).to_owned(),
                expectation_error: error_of(format!("expectation.{key}")),
                perception_error: error_of(format!("perception.{key}")),
                importance_error: error_of(format!("importance.{key}")),
            }
        })
        .collect();
    let page = ResponseFormPage {
        layout: Layout::new(viewer, format!("Answer: {}", round.name), "pulses"),
        round_id: round.id,
        round_name: round.name.clone(),
        closes: instant(&round.closing().to_string()),
        provider_id: cell.0,
        consumer_id: cell.1,
        provider: directory.department_name(cell.0),
        consumer: directory.department_name(cell.1),
        rates_self: invitation.side == "provider",
        answerable: problem.is_none(),
        problem,
        dimensions,
        scale: scale(),
        comment: form.get("comment").to_owned(),
        errors,
    };
    Ok((page, invitation))
}

pub(super) fn cell_of(provider: &str, consumer: &str) -> Result<(i64, i64), WebError> {
    Ok((round_id(provider)?, round_id(consumer)?))
}

/// `GET /pulses/{id}/cells/{provider}/{consumer}`: the answer form of one cell.
pub async fn show_response_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, provider, consumer)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let (page, _) = form_page(
        &state,
        &viewer,
        round_id(&id)?,
        cell_of(&provider, &consumer)?,
        &FormData::default(),
        FieldErrors::default(),
        None,
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// A rating as typed: blank or not a number becomes a value outside every
/// scale, so the API's own check names the field.
pub(super) fn rating(form: &FormData, field: &str, blank: i64) -> i64 {
    let text = form.get(field).trim();
    if text.is_empty() {
        blank
    } else {
        text.parse::<i64>().unwrap_or(-1)
    }
}

pub(super) fn ratings(form: &FormData, prefix: &str, blank: i64) -> DimensionRatings {
    let value =
        |dimension: Dimension| rating(form, &format!("{prefix}.{}", dimension.as_str()), blank);
    DimensionRatings {
        reliability: value(Dimension::Reliability),
        responsiveness: value(Dimension::Responsiveness),
        assurance: value(Dimension::Assurance),
        empathy: value(Dimension::Empathy),
        tangibles: value(Dimension::Tangibles),
    }
}

/// `POST /pulses/{id}/cells/{provider}/{consumer}`: records the answer through
/// `POST /api/v1/pulses/{id}/responses`, or shows the form again with each
/// problem at its field and the answers kept.
pub async fn answer_cell(
    State(state): State<AppState>,
    Path((id, provider, consumer)): Path<(String, String, String)>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = round_id(&id)?;
    let cell = cell_of(&provider, &consumer)?;
    let (_, invitation) = form_page(
        &state,
        &viewer,
        id,
        cell,
        &form,
        FieldErrors::default(),
        None,
    )
    .await?;
    let consumer_side = invitation.side == "consumer";
    // A blank scale rating is 0 (outside 1–7); blank importance points are 0 points.
    let answer = Answer {
        provider_department_id: cell.0,
        consumer_department_id: cell.1,
        expectation: consumer_side.then(|| ratings(&form, "expectation", 0).ratings()),
        perception: ratings(&form, "perception", 0).ratings(),
        importance: consumer_side.then(|| ratings(&form, "importance", 0).ratings()),
        comment: form.get("comment").to_owned(),
    };
    let outcome = pulses::respond(&Caller::new(&state.store, &viewer.actor), id, answer)
        .await
        .map_err(ApiError::from);
    let (status, errors, problem) = match outcome {
        Ok(_) => {
            return Ok(see_other(&format!(
                "/pulses/{id}?recorded={}-{}",
                cell.0, cell.1
            )));
        }
        Err(error) => {
            let refusal = Refusal::of(error, "this round")?;
            let problem =
                (refusal.status != StatusCode::UNPROCESSABLE_ENTITY).then_some(refusal.message);
            (refusal.status, refusal.errors, problem)
        }
    };
    let (page, _) = form_page(&state, &viewer, id, cell, &form, errors, problem).await?;
    Ok(render(status, &page))
}
