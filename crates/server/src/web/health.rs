//! Relationship health in words and pictures, for the cell page and the
//! department scorecard. The numbers come from the health API's views
//! (`api::health`); this module only says them in plain words and lays out
//! the server-rendered SVG charts (a weekly trend line, horizontal bars),
//! each of which the page also shows as a table.

use crate::api::health::{ComponentView, HealthView, InputQualityView, TrendPointView};

/// A health score as a person reads it: number, band in words, colour tone.
#[derive(Debug, Clone)]
pub struct ScoreView {
    /// "82", or "—" without a score.
    pub number: String,
    /// "Healthy", "Watch", "At risk" or "Insufficient data".
    pub band: &'static str,
    /// The style tone that colours it (never the only signal: `band` says it).
    pub tone: &'static str,
}

pub fn score_view(score: Option<f64>) -> ScoreView {
    let band = crate::api::health::band(score);
    let (band, tone) = match band {
        "healthy" => ("Healthy", "ok"),
        "watch" => ("Watch", "warn"),
        "at_risk" => ("At risk", "bad"),
        _ => ("Insufficient data", "none"),
    };
    ScoreView {
        number: score.map_or_else(|| "—".to_owned(), |score| format!("{score:.0}")),
        band,
        tone,
    }
}

/// One component of a cell's health, with every number explained.
#[derive(Debug, Clone)]
pub struct ComponentRow {
    pub label: &'static str,
    /// 0–100 as written, or "no data" / "withheld".
    pub value: String,
    pub sample: String,
    /// The nominal weight, e.g. "30 %".
    pub weight: String,
    /// The weight it carried after renormalising, or "not counted".
    pub applied: String,
    pub counted: bool,
    /// What the component measures (the API's explanation).
    pub measures: String,
    /// This number in plain words: what it rests on and whether it counted.
    pub meaning: String,
}

fn percent(share: f64) -> String {
    let value = share * 100.0;
    if (value - value.round()).abs() < 0.05 {
        format!("{value:.0} %")
    } else {
        format!("{value:.1} %")
    }
}

fn component_label(name: &str) -> (&'static str, &'static str) {
    match name {
        "satisfaction" => ("Satisfaction", "answered checks"),
        "pulse" => ("Pulse", "people who answered the pulse"),
        "reliability" => ("Reliability", "resolved requests"),
        "responsiveness" => ("Responsiveness", "judged first responses"),
        _ => ("Other", "data points"),
    }
}

pub fn component_row(component: &ComponentView) -> ComponentRow {
    let (label, points) = component_label(&component.name);
    let minimum = roundtable_domain::health::MINIMUM_DATA_POINTS;
    let value = match component.value {
        Some(value) => format!("{value:.0}"),
        None if component.name == "pulse" && component.sample_size.is_none() => {
            "withheld".to_owned()
        }
        None => "no data".to_owned(),
    };
    let sample = component
        .sample_size
        .map_or_else(|| "not shown".to_owned(), |sample| sample.to_string());
    let meaning = match (component.value, component.sample_size, component.sufficient) {
        (Some(value), Some(sample), true) => format!(
            "{value:.0} out of 100 from {sample} {points}; it counts with {} of the score (its {} weight, shared out over the components that have enough data).",
            percent(component.applied_weight),
            percent(component.weight)
        ),
        (Some(value), Some(sample), false) => format!(
            "{value:.0} out of 100, but from only {sample} {points}; at least {minimum} are needed before it counts, so it is left out of the score."
        ),
        (_, None, _) if component.name == "pulse" => "Not shown: the latest closed pulse round has fewer answers than the anonymity threshold (or there is no closed round), so it is left out of the score.".to_owned(),
        (_, Some(0), _) | (None, _, _) => format!(
            "No {points} in the window yet, so it is left out of the score."
        ),
        (Some(value), None, _) => format!("{value:.0} out of 100."),
    };
    ComponentRow {
        label,
        value,
        sample,
        weight: percent(component.weight),
        applied: if component.sufficient {
            percent(component.applied_weight)
        } else {
            "not counted".to_owned()
        },
        counted: component.sufficient,
        measures: component.explanation.clone().unwrap_or_default(),
        meaning,
    }
}

/// The whole score explained in one sentence.
pub fn score_sentence(health: &HealthView, window_days: i64) -> String {
    let counted: Vec<&'static str> = health
        .components
        .iter()
        .filter(|component| component.sufficient)
        .map(|component| component_label(&component.name).0)
        .collect();
    match health.score {
        Some(score) => format!(
            "Health {score:.0} out of 100 ({}) over the last {window_days} days: the weighted mean of {} — the components with enough data; the others are left out and the weights shared out over these.",
            score_view(Some(score)).band.to_lowercase(),
            counted.join(", ")
        ),
        None => format!(
            "Insufficient data over the last {window_days} days: no component has the {} data points it needs to count, so there is no score yet.",
            roundtable_domain::health::MINIMUM_DATA_POINTS
        ),
    }
}

/// The input quality the provider reported back about the consumer's input.
#[derive(Debug, Clone)]
pub struct InputQualityRow {
    pub complete: i64,
    pub partial: i64,
    pub poor: i64,
    pub score: String,
    pub meaning: String,
}

pub fn input_quality_row(quality: &InputQualityView) -> InputQualityRow {
    let rated = quality.complete + quality.partial + quality.poor;
    InputQualityRow {
        complete: quality.complete,
        partial: quality.partial,
        poor: quality.poor,
        score: quality
            .score
            .map_or_else(|| "—".to_owned(), |score| format!("{score:.0}")),
        meaning: match quality.score {
            Some(score) => format!(
                "{score:.0} out of 100 over {rated} rated requests (complete counts 100, partial 50, poor 0)."
            ),
            None => "No resolved request had its input rated yet.".to_owned(),
        },
    }
}

/// The weekly trend as a line chart: SVG coordinates, computed here.
#[derive(Debug, Clone)]
pub struct TrendChart {
    pub width: i64,
    pub height: i64,
    /// Horizontal guide lines: (y, label).
    pub guides: Vec<(i64, String)>,
    /// Polylines, one per unbroken run of weeks with a score.
    pub lines: Vec<String>,
    pub points: Vec<TrendDot>,
    /// Week labels on the x axis (every few weeks).
    pub ticks: Vec<(i64, String)>,
    /// The text alternative: every week.
    pub rows: Vec<(String, String, &'static str)>,
    pub has_scores: bool,
}

#[derive(Debug, Clone)]
pub struct TrendDot {
    pub x: i64,
    pub y: i64,
    pub label: String,
}

const TREND_LEFT: i64 = 40;
const TREND_TOP: i64 = 20;
const TREND_PLOT_HEIGHT: i64 = 160;
const TREND_STEP: i64 = 44;

pub fn trend_chart(points: &[TrendPointView]) -> TrendChart {
    let x_of = |index: usize| TREND_LEFT + 16 + i64::try_from(index).unwrap_or(0) * TREND_STEP;
    let y_of = |score: f64| {
        TREND_TOP + TREND_PLOT_HEIGHT
            - (score.clamp(0.0, 100.0) * TREND_PLOT_HEIGHT as f64 / 100.0).round() as i64
    };
    let mut lines = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let mut dots = Vec::new();
    for (index, point) in points.iter().enumerate() {
        match point.score {
            Some(score) => {
                let (x, y) = (x_of(index), y_of(score));
                run.push(format!("{x},{y}"));
                dots.push(TrendDot {
                    x,
                    y,
                    label: format!("{score:.0}"),
                });
            }
            None => {
                if run.len() > 1 {
                    lines.push(run.join(" "));
                }
                run.clear();
            }
        }
    }
    if run.len() > 1 {
        lines.push(run.join(" "));
    }
    let every = points.len().div_ceil(6).max(1);
    TrendChart {
        width: x_of(points.len().saturating_sub(1)) + 40,
        height: TREND_TOP + TREND_PLOT_HEIGHT + 30,
        guides: [0.0, 25.0, 50.0, 75.0, 100.0]
            .into_iter()
            .map(|score| (y_of(score), format!("{score:.0}")))
            .collect(),
        lines,
        has_scores: !dots.is_empty(),
        points: dots,
        ticks: points
            .iter()
            .enumerate()
            .filter(|(index, _)| index % every == 0 || *index + 1 == points.len())
            .map(|(index, point)| (x_of(index), short_date(&point.week_ending)))
            .collect(),
        rows: points
            .iter()
            .map(|point| {
                let score = score_view(point.score);
                (point.week_ending.clone(), score.number, score.band)
            })
            .collect(),
    }
}

/// "2026-11-29" as "29 Nov".
fn short_date(date: &str) -> String {
    date.parse::<jiff::civil::Date>()
        .map(|date| date.strftime("%-d %b").to_string())
        .unwrap_or_else(|_| date.to_owned())
}

/// One bar of a horizontal bar chart, with its number written beside it.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub y: i64,
    pub length: i64,
    /// Written at the end of the bar: the number, or "insufficient data".
    pub text: String,
    pub text_x: i64,
    pub tone: &'static str,
}

/// The bar chart's geometry: where bars start and how long 100 is.
pub const BAR_START: i64 = 160;
const BAR_FULL: i64 = 240;
const BAR_ROW: i64 = 28;

/// Bars for 0–100 scores, one row per entry, the number written at each.
pub fn score_bars(entries: &[(String, Option<f64>)]) -> (Vec<Bar>, i64) {
    let bars = entries
        .iter()
        .zip(0i64..)
        .map(|((label, score), index)| {
            let view = score_view(*score);
            let length = score.map_or(0, |score| {
                (score.clamp(0.0, 100.0) * BAR_FULL as f64 / 100.0).round() as i64
            });
            Bar {
                label: label.clone(),
                y: index * BAR_ROW,
                length,
                text: match score {
                    Some(_) => format!("{} ({})", view.number, view.band.to_lowercase()),
                    None => "insufficient data".to_owned(),
                },
                text_x: BAR_START + length + 6,
                tone: view.tone,
            }
        })
        .collect();
    (
        bars,
        (i64::try_from(entries.len()).unwrap_or(0) * BAR_ROW).max(BAR_ROW),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(
        name: &str,
        value: Option<f64>,
        sample: Option<i64>,
        sufficient: bool,
    ) -> ComponentView {
        ComponentView {
            name: name.to_owned(),
            value,
            sample_size: sample,
            sufficient,
            weight: 0.3,
            applied_weight: if sufficient { 0.6 } else { 0.0 },
            explanation: None,
        }
    }

    #[test]
    fn a_counted_component_says_its_number_sample_and_weight() {
        let row = component_row(&component("satisfaction", Some(82.4), Some(12), true));
        assert_eq!(row.value, "82");
        assert_eq!(row.applied, "60 %");
        assert!(
            row.meaning.contains("from 12 answered checks"),
            "{}",
            row.meaning
        );
        assert!(row.meaning.contains("30 % weight"), "{}", row.meaning);
    }

    #[test]
    fn a_thin_component_says_why_it_is_left_out() {
        let row = component_row(&component("reliability", Some(50.0), Some(3), false));
        assert_eq!(row.applied, "not counted");
        assert!(
            row.meaning.contains("only 3 resolved requests"),
            "{}",
            row.meaning
        );
        let pulse = component_row(&component("pulse", None, None, false));
        assert_eq!(pulse.value, "withheld");
    }

    #[test]
    fn the_trend_breaks_where_a_week_has_no_score() {
        let week = |day: &str, score: Option<f64>| TrendPointView {
            week_ending: day.to_owned(),
            score,
        };
        let chart = trend_chart(&[
            week("2026-11-01", Some(50.0)),
            week("2026-11-08", Some(100.0)),
            week("2026-11-15", None),
            week("2026-11-22", Some(0.0)),
            week("2026-11-29", Some(75.0)),
        ]);
        assert_eq!(chart.lines.len(), 2);
        assert_eq!(chart.points.len(), 4);
        // 100 sits at the top of the plot, 0 at its bottom.
        assert_eq!(chart.points[1].y, TREND_TOP);
        assert_eq!(chart.points[2].y, TREND_TOP + TREND_PLOT_HEIGHT);
        assert_eq!(chart.rows[2].1, "—");
    }

    #[test]
    fn bars_scale_to_one_hundred_and_write_their_number() {
        let (bars, height) =
            score_bars(&[("Sales".to_owned(), Some(100.0)), ("IT".to_owned(), None)]);
        assert_eq!(bars[0].length, BAR_FULL);
        assert_eq!(bars[0].text, "100 (healthy)");
        assert_eq!(bars[1].length, 0);
        assert_eq!(bars[1].text, "insufficient data");
        assert_eq!(height, 2 * BAR_ROW);
    }
}
