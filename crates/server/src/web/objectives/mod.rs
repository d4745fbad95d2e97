//! Corporate objectives, their measures and check-ins, department goals and
//! alignment reviews in the browser. Objectives, measures, check-ins and
//! goals are the use cases of `app::objectives`, alignment reviews and their
//! generated agenda those of `app::reviews`, the same the API calls.
//! Progress and status are the domain's arithmetic, never the page's.

use super::directory::Directory;
use super::format::instant;
use super::{
    ActionError, FieldErrors, FormData, Layout, PageId, SignedForm, Viewer, WebError, after_action,
    errors_at_rows, first_view, record_id, render,
};
use crate::AppState;
use crate::api::objectives::{MeasureView, ObjectiveView, period_filter};
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
use roundtable_app::input::today;
use roundtable_app::objectives::{
    self as app, CheckinInput, ContributorInput as MeasureContributor, GoalInput, MeasureInput,
    ObjectiveInput,
};
use roundtable_app::reviews as app_reviews;
use roundtable_domain::ValidationErrors;
use roundtable_domain::objectives::Period;
use roundtable_store::auth::Actor;
use roundtable_store::objectives::{Checkin, GoalFilter};

mod measure_form;
mod measure_page;
mod overview;
mod reviews;
pub use measure_form::*;
pub use measure_page::*;
pub use overview::*;
pub use reviews::*;

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
