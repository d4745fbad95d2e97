#![allow(clippy::unwrap_used, clippy::expect_used)]

use roundtable_domain::credentials::verify_password;
use roundtable_domain::people::Role;
use roundtable_store::people::PeopleFilter;
use roundtable_store::{PageRequest, Store};
use roundtable_testkit::TestDatabase;
use std::collections::HashSet;

async fn people_and_departments(store: &Store) -> (Vec<(String, String, String)>, Vec<String>) {
    let organization = store
        .find_organization_by_slug("demo")
        .await
        .unwrap()
        .unwrap();
    let scoped = store.scoped(organization.id);
    let people = scoped
        .list_people(PeopleFilter::default(), PageRequest::first(200))
        .await
        .unwrap()
        .items;
    let departments = scoped
        .list_departments(PageRequest::first(200))
        .await
        .unwrap()
        .items;
    (
        people
            .into_iter()
            .map(|person| (person.email, person.name, person.role.to_string()))
            .collect(),
        departments
            .into_iter()
            .map(|department| department.slug)
            .collect(),
    )
}

#[tokio::test]
async fn the_demo_is_a_realistic_organization_and_the_same_for_the_same_seed() {
    let first = TestDatabase::create().await;
    let second = TestDatabase::create().await;
    let (store_a, store_b) = (first.store().await, second.store().await);
    let summary = roundtable_demo::generate(&store_a, 7).await.unwrap();
    roundtable_demo::generate(&store_b, 7).await.unwrap();

    assert!(
        summary.departments >= 6 && summary.people >= 40 && summary.calendars >= 2,
        "{summary:?}"
    );
    let (people, departments) = people_and_departments(&store_a).await;
    assert_eq!(
        people_and_departments(&store_b).await,
        (people.clone(), departments.clone())
    );

    let emails: HashSet<&str> = people.iter().map(|(email, _, _)| email.as_str()).collect();
    assert_eq!(emails.len(), people.len(), "emails are unique");
    assert!(emails.contains(roundtable_demo::ADMIN_EMAIL));
    for role in Role::ALL {
        assert!(
            people
                .iter()
                .any(|(_, _, person_role)| person_role == role.as_str()),
            "someone is {role}"
        );
    }

    let organization = store_a
        .find_organization_by_slug("demo")
        .await
        .unwrap()
        .unwrap();
    let scoped = store_a.scoped(organization.id);
    let calendars = scoped
        .list_calendars(PageRequest::first(50))
        .await
        .unwrap()
        .items;
    let zones: HashSet<&str> = calendars
        .iter()
        .map(|calendar| calendar.definition.time_zone_name())
        .collect();
    assert!(zones.len() >= 2, "{zones:?}");
    assert!(
        calendars
            .iter()
            .all(|calendar| !calendar.definition.holidays().is_empty())
    );
    assert_eq!(organization.default_calendar_id, Some(calendars[0].id));
    for department in scoped
        .list_departments(PageRequest::first(50))
        .await
        .unwrap()
        .items
    {
        assert!(
            !department.lead_ids.is_empty(),
            "{} has a lead",
            department.slug
        );
    }

    let admin = store_a
        .login_candidates(roundtable_demo::ADMIN_EMAIL, Some("demo"))
        .await
        .unwrap();
    assert!(verify_password(
        roundtable_demo::PASSWORD,
        admin[0].password_hash.as_deref().unwrap()
    ));

    let other_seed = TestDatabase::create().await;
    let store_c = other_seed.store().await;
    roundtable_demo::generate(&store_c, 8).await.unwrap();
    assert_ne!(
        people_and_departments(&store_c).await.0,
        people,
        "another seed, other people"
    );
    assert!(matches!(
        roundtable_demo::generate(&store_a, 7).await,
        Err(roundtable_demo::DemoError::AlreadyExists)
    ));
}
