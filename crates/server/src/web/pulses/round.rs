//! One round's page: the cells the viewer is asked about and, once closed,
//! the results with the mirror-gap chart, as far as anonymity discloses them.

use super::*;

/// A cell the viewer is asked about, as a line of the round page.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub provider_id: i64,
    pub consumer_id: i64,
    pub provider: String,
    pub consumer: String,
    /// The viewer rates the provider (consumer side) or themselves (the mirror).
    pub rates_self: bool,
    pub answered: bool,
}

/// One dimension of a disclosed cell: the table's row and the chart's bars.
#[derive(Debug, Clone)]
pub struct DimensionRow {
    pub name: &'static str,
    pub question: &'static str,
    pub perception: String,
    pub expectation: String,
    pub service_gap: String,
    pub importance: String,
    /// `None` when the provider's self-ratings are withheld (or absent).
    pub self_rating: Option<String>,
    pub mirror_gap: Option<String>,
}

/// One bar of the chart, in SVG units.
#[derive(Debug, Clone)]
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    /// Where the bar's words start, just past its end.
    pub label_x: i64,
    /// `expected`, `seen` or `self`: the style of the bar.
    pub kind: &'static str,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct BarGroup {
    pub name: &'static str,
    pub y: i64,
    pub bars: Vec<Bar>,
}

/// Where the bars start, and how long a 7 is, in SVG units.
pub(super) const BAR_START: i64 = 130;
pub(super) const BAR_SCALE: f64 = 300.0 / 7.0;
pub(super) const BAR_HEIGHT: i64 = 14;

pub(super) fn bar(y: i64, value: f64, kind: &'static str, words: &str) -> Bar {
    let width = (value.clamp(0.0, 7.0) * BAR_SCALE).round() as i64;
    Bar {
        x: BAR_START,
        y,
        width,
        label_x: BAR_START + width + 6,
        kind,
        label: format!("{words} {}", mean(value)),
    }
}

#[derive(Debug, Clone)]
pub struct Disclosed {
    pub respondents: i64,
    pub self_respondents: Option<i64>,
    pub rows: Vec<DimensionRow>,
    pub perception_mean: String,
    pub weighted_gap: String,
    pub mirror_gap_mean: Option<String>,
    pub chart: Vec<BarGroup>,
    pub chart_height: i64,
    pub comments: Vec<String>,
    pub self_comments: Vec<String>,
}

pub(super) fn disclosed(scores: &ScoresView, cell: &CellResultView) -> Disclosed {
    let mut chart = Vec::new();
    let mut y = 0;
    let rows = Dimension::ALL
        .iter()
        .map(|dimension| {
            let dimension = *dimension;
            let perception = by_dimension(&scores.perception, dimension);
            let expectation = by_dimension(&scores.expectation, dimension);
            let self_rating = scores
                .self_rating
                .as_ref()
                .map(|ratings| by_dimension(ratings, dimension));
            let mut bars = vec![
                bar(y + 22, expectation, "expected", "expected"),
                bar(
                    y + 22 + BAR_HEIGHT + 4,
                    perception,
                    "seen",
                    "seen by consumers",
                ),
            ];
            if let Some(self_rating) = self_rating {
                bars.push(bar(
                    y + 22 + 2 * (BAR_HEIGHT + 4),
                    self_rating,
                    "self",
                    "self-rating",
                ));
            }
            let height = 22 + bars.len() as i64 * (BAR_HEIGHT + 4) + 10;
            chart.push(BarGroup {
                name: dimension_name(dimension),
                y,
                bars,
            });
            y += height;
            DimensionRow {
                name: dimension_name(dimension),
                question: dimension.question(),
                perception: mean(perception),
                expectation: mean(expectation),
                service_gap: gap(by_dimension(&scores.service_gap, dimension)),
                importance: format!("{:.0}", by_dimension(&scores.importance, dimension)),
                self_rating: self_rating.map(mean),
                mirror_gap: scores
                    .mirror_gap
                    .as_ref()
                    .map(|gaps| gap(by_dimension(gaps, dimension))),
            }
        })
        .collect();
    Disclosed {
        respondents: cell.respondents.unwrap_or(0),
        self_respondents: cell.self_respondents,
        rows,
        perception_mean: mean(scores.perception_mean),
        weighted_gap: format!("{:+.2}", scores.importance_weighted_gap).replace('-', "−"),
        mirror_gap_mean: scores.mirror_gap_mean.map(gap),
        chart,
        chart_height: y.max(20),
        comments: cell.comments.clone(),
        self_comments: cell.self_comments.clone(),
    }
}

/// One cell of a closed round, as the API gave it.
#[derive(Debug, Clone)]
pub struct CellPanel {
    pub provider: String,
    pub consumer: String,
    pub provider_id: i64,
    pub consumer_id: i64,
    /// `None`: the aggregate is withheld ("not enough responses").
    pub shown: Option<Disclosed>,
}

/// A department across its cells, as the API gave it.
#[derive(Debug, Clone)]
pub struct DepartmentRow {
    pub name: String,
    /// (respondents, perception mean, weighted gap, mirror gap) when disclosed.
    pub shown: Option<(i64, String, String, Option<String>)>,
}

pub(super) fn department_row(
    result: &DepartmentResultView,
    directory: &Directory,
) -> DepartmentRow {
    DepartmentRow {
        name: directory.department_name(result.department_id),
        shown: result
            .scores
            .as_ref()
            .filter(|_| result.disclosed)
            .map(|scores| {
                (
                    result.respondents.unwrap_or(0),
                    mean(scores.perception_mean),
                    format!("{:+.2}", scores.importance_weighted_gap).replace('-', "−"),
                    scores.mirror_gap_mean.map(gap),
                )
            }),
    }
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Template)]
#[template(path = "pulse.html")]
pub struct RoundPage {
    pub(super) layout: Layout,
    pub(super) round: RoundRow,
    pub(super) version: i64,
    pub(super) invitations: Vec<InvitationRow>,
    /// Set after an answer was recorded: which cell.
    pub(super) recorded: Option<String>,
    pub(super) runs_rounds: bool,
    pub(super) closed: bool,
    pub(super) threshold: i64,
    pub(super) cells: Vec<CellPanel>,
    pub(super) as_provider: Vec<DepartmentRow>,
    pub(super) as_consumer: Vec<DepartmentRow>,
    pub(super) providers: Vec<Choice>,
    pub(super) consumers: Vec<Choice>,
    pub(super) provider_filter: Option<i64>,
    pub(super) consumer_filter: Option<i64>,
    pub(super) dimensions: Vec<(&'static str, &'static str)>,
}

impl RoundPage {
    pub fn provider_is(&self, id: &i64) -> bool {
        self.provider_filter == Some(*id)
    }

    pub fn consumer_is(&self, id: &i64) -> bool {
        self.consumer_filter == Some(*id)
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct RoundQuery {
    pub(super) provider: Option<String>,
    pub(super) consumer: Option<String>,
    pub(super) recorded: Option<String>,
}

pub(super) fn round_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)
}

pub(super) fn department_choices(
    ids: impl Iterator<Item = i64>,
    directory: &Directory,
) -> Vec<Choice> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    let mut choices: Vec<Choice> = ids
        .into_iter()
        .map(|id| Choice {
            id,
            name: directory.department_name(id),
        })
        .collect();
    choices.sort_by(|a, b| a.name.cmp(&b.name));
    choices
}

/// `GET /pulses/{id}`: an open round's cells for the viewer to answer, or a
/// closed round's results.
pub async fn show_round(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<RoundQuery>,
) -> Result<Response, WebError> {
    let id = round_id(&id)?;
    let scoped = state.scoped(&viewer.actor);
    let round = scoped.pulse_round(id).await?;
    let directory = Directory::load(&scoped).await?;
    let now = Timestamp::now();
    let status = round.status(now);
    let invitations = scoped
        .pulse_invitations(&round, viewer.actor.person_id)
        .await?;
    let recorded = query.recorded.as_deref().and_then(|cell| {
        let (provider, consumer) = cell.split_once('-')?;
        let (provider, consumer) = (provider.parse().ok()?, consumer.parse().ok()?);
        invitations
            .iter()
            .find(|invitation| {
                invitation.answered
                    && invitation.provider == DepartmentId(provider)
                    && invitation.consumer == DepartmentId(consumer)
            })
            .map(|_| {
                format!(
                    "{} serving {}",
                    directory.department_name(provider),
                    directory.department_name(consumer)
                )
            })
    });
    let filter = |text: &Option<String>| text.as_deref().and_then(|id| id.parse::<i64>().ok());
    let (provider_filter, consumer_filter) = (filter(&query.provider), filter(&query.consumer));
    let mut page = RoundPage {
        layout: Layout::new(&viewer, round.name.clone(), "pulses"),
        round: RoundRow::new(&round, &invitations, now),
        version: round.version,
        invitations: invitations
            .iter()
            .map(|invitation| InvitationRow {
                provider_id: invitation.provider.0,
                consumer_id: invitation.consumer.0,
                provider: directory.department_name(invitation.provider.0),
                consumer: directory.department_name(invitation.consumer.0),
                rates_self: invitation.side == "provider",
                answered: invitation.answered,
            })
            .collect(),
        recorded,
        runs_rounds: sees_everything(&viewer.actor),
        closed: status == RoundStatus::Closed,
        threshold: 0,
        cells: Vec::new(),
        as_provider: Vec::new(),
        as_consumer: Vec::new(),
        providers: department_choices(round.cells.iter().map(|cell| cell.0.0), &directory),
        consumers: department_choices(round.cells.iter().map(|cell| cell.1.0), &directory),
        provider_filter,
        consumer_filter,
        dimensions: Dimension::ALL
            .iter()
            .map(|dimension| (dimension_name(*dimension), dimension.question()))
            .collect(),
    };
    if page.closed {
        let view = results_view(
            &pulses::results(&Caller::new(&state.store, &viewer.actor), id).await?,
            &ResultsQuery {
                provider_department_id: provider_filter,
                consumer_department_id: consumer_filter,
            },
            Timestamp::now(),
        );
        page.threshold = view.anonymity_threshold;
        page.cells = view
            .cells
            .iter()
            .map(|cell| CellPanel {
                provider: directory.department_name(cell.provider_department_id),
                consumer: directory.department_name(cell.consumer_department_id),
                provider_id: cell.provider_department_id,
                consumer_id: cell.consumer_department_id,
                shown: cell
                    .scores
                    .as_ref()
                    .filter(|_| cell.disclosed)
                    .map(|scores| disclosed(scores, cell)),
            })
            .collect();
        page.as_provider = view
            .as_provider
            .iter()
            .map(|result| department_row(result, &directory))
            .collect();
        page.as_consumer = view
            .as_consumer
            .iter()
            .map(|result| department_row(result, &directory))
            .collect();
    }
    Ok(render(StatusCode::OK, &page))
}

/// `POST /pulses/{id}/close`: closes an open round now (administrators and executives).
pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let id = round_id(&id)?;
    pulses::close(
        &Caller::new(&state.store, &viewer.actor),
        id,
        form.get("version").parse::<i64>().ok(),
    )
    .await?;
    Ok(see_other(&format!("/pulses/{id}")))
}
