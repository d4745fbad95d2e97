//! Relationship pulses in the browser: the rounds, the answer form of a cell
//! (the consumer rates its provider, the provider rates itself: the
//! mirror), and the results of a closed round with the mirror-gap chart.
//!
//! Answers go through `app::pulses::respond` and results come only from
//! `app::pulses::results` (the use cases the API calls), which reads
//! `Scoped::pulse_results`: anonymity is decided there, once. A withheld aggregate arrives without numbers, and the
//! page says "not enough responses" and nothing else about it.

use super::directory::Directory;
use super::format::instant;
use super::requests::reader_instant;
use super::{
    FieldErrors, FormData, Layout, Refusal, SignedForm, Viewer, WebError, render, see_other,
    sees_everything,
};
use crate::AppState;
use crate::api::pulses::{
    CellResultView, DepartmentResultView, DimensionRatings, DimensionScoresView, ResultsQuery,
    ScoresView, results_view,
};
use crate::extract::{PageQuery, encode_cursor};
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use roundtable_app::Caller;
use roundtable_app::pulses::{self, Answer, NewRound};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::pulses::Dimension;
use roundtable_store::pulses::{PulseInvitation, PulseRound, RoundStatus};

mod answer;
mod round;
mod rounds;
pub use answer::*;
pub use round::*;
pub use rounds::*;

/// A dimension's name as a heading.
fn dimension_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Reliability => "Reliability",
        Dimension::Responsiveness => "Responsiveness",
        Dimension::Assurance => "Assurance",
        Dimension::Empathy => "Empathy",
        Dimension::Tangibles => "Tangibles",
    }
}

fn round_status(status: RoundStatus) -> (&'static str, &'static str) {
    match status {
        RoundStatus::Scheduled => ("Scheduled", "paused"),
        RoundStatus::Open => ("Open for answers", "ok"),
        RoundStatus::Closed => ("Closed: results available", "done"),
    }
}

/// A mean on the 1–7 scale, as "4.2".
fn mean(value: f64) -> String {
    format!("{value:.1}")
}

/// A gap, signed, with a true minus sign: "+0.4", "−3.0".
fn gap(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded < 0.0 {
        format!("−{:.1}", -rounded)
    } else {
        format!("+{rounded:.1}")
    }
}

fn by_dimension(scores: &DimensionScoresView, dimension: Dimension) -> f64 {
    match dimension {
        Dimension::Reliability => scores.reliability,
        Dimension::Responsiveness => scores.responsiveness,
        Dimension::Assurance => scores.assurance,
        Dimension::Empathy => scores.empathy,
        Dimension::Tangibles => scores.tangibles,
    }
}
