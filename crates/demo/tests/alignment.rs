//! The demo's alignment story: objectives in every status, mutual measures
//! with history, the round table with mirrors and actions, enhancements in
//! several states, and kudos that reach the matrix cells.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::default_demo;

use jiff::Timestamp;
use roundtable_domain::objectives::{Status, status};
use roundtable_domain::round_table::{EnhancementStatus, TopicKind, action_overdue};
use roundtable_store::PageRequest;
use roundtable_store::round_table::{ActionFilter, TopicFilter};
use roundtable_testkit::TestDatabase;
use std::collections::HashSet;

#[tokio::test]
async fn the_demo_tells_the_alignment_story() {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let scoped = default_demo(&store).await;
    let now = Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let all = PageRequest::first(PageRequest::MAX_LIMIT);

    let objectives = scoped.list_objectives(None, all).await.unwrap().items;
    let periods: HashSet<String> = objectives
        .iter()
        .map(|objective| objective.period.to_string())
        .collect();
    assert_eq!(periods.len(), 2, "a past and a current period: {periods:?}");
    let past = objectives
        .iter()
        .map(|objective| objective.period)
        .min()
        .unwrap();
    let ids: Vec<i64> = objectives.iter().map(|objective| objective.id).collect();
    let measures = scoped.measures_of_objectives(&ids).await.unwrap();
    let mut past_statuses = HashSet::new();
    for objective in objectives
        .iter()
        .filter(|objective| objective.period == past)
    {
        let progress: Vec<f64> = measures
            .iter()
            .filter(|measure| measure.objective_id == objective.id)
            .map(|measure| measure.scale.progress(measure.current))
            .collect();
        let mean = roundtable_domain::objectives::objective_progress(&progress).unwrap();
        past_statuses.insert(status(mean, objective.period.elapsed_share(today)));
    }
    assert_eq!(
        past_statuses,
        HashSet::from([Status::OnTrack, Status::AtRisk, Status::OffTrack])
    );
    let mutual: Vec<_> = measures
        .iter()
        .filter(|measure| measure.is_mutual())
        .collect();
    assert!(mutual.len() >= 4);
    for measure in &mutual {
        assert!(
            measure
                .contributors
                .iter()
                .all(|contributor| !contributor.statement.is_empty())
        );
        assert!(
            scoped.checkins(measure.id).await.unwrap().len() >= 2,
            "{} has history",
            measure.name
        );
    }
    assert!(
        mutual
            .iter()
            .any(|measure| measure.target_reached_at.is_some())
    );

    let topics = scoped
        .list_topics(TopicFilter::default(), all)
        .await
        .unwrap()
        .items;
    let kinds: HashSet<TopicKind> = topics.iter().map(|topic| topic.kind).collect();
    assert_eq!(kinds.len(), 3);
    assert!(
        topics
            .iter()
            .filter(|topic| topic.kind == TopicKind::Frustration)
            .all(|topic| topic.mirror.is_some())
    );
    assert!(topics.iter().any(|topic| topic.answer.is_some()));
    assert!(topics.iter().any(|topic| topic.author_person_id.is_none()));
    assert!(topics.iter().all(|topic| topic.votes > 0));

    let sessions = scoped.list_round_table_sessions(all).await.unwrap().items;
    assert_eq!(sessions.len(), 2);
    assert!(sessions.iter().all(|session| !session.topic_ids.is_empty()));
    let actions = scoped
        .list_actions(ActionFilter::default(), all)
        .await
        .unwrap()
        .items;
    assert!(
        actions
            .iter()
            .any(|action| action_overdue(action.status, action.due_on, today))
    );
    assert!(actions.iter().any(|action| action.done_on.is_some()));

    let enhancements = scoped.list_enhancements(None, all).await.unwrap().items;
    let states: HashSet<EnhancementStatus> = enhancements
        .iter()
        .map(|enhancement| enhancement.status)
        .collect();
    assert!(states.len() >= 4, "{states:?}");
    assert!(
        enhancements
            .iter()
            .all(|enhancement| enhancement.department_ids.len() >= 2)
    );

    let feed = scoped.kudos_feed(None, all).await.unwrap().items;
    assert!(feed.len() >= 30);
    assert!(
        feed.iter()
            .any(|kudos| kudos.recognized_measure_id.is_some())
    );
    let cells = scoped
        .kudos_counts_per_cell(now - jiff::SignedDuration::from_hours(24 * 90))
        .await
        .unwrap();
    assert!(cells.len() >= 5, "kudos reach the matrix cells: {cells:?}");
}
