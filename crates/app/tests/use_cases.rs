//! Use cases run against a real store (a throwaway database on the run's
//! backend), without HTTP: who may, what must hold, and what the store
//! ends up with.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::{SignedDuration, Timestamp};
use roundtable_app::agreements::{self, Draft, ReviewInput};
use roundtable_app::kudos::{self, Thanks};
use roundtable_app::reviews::{self, Opening};
use roundtable_app::services::{self, ServiceEdit, ServiceInput, TargetsInput};
use roundtable_app::sign_in::{self, Credentials, SignInThrottling};
use roundtable_app::topics::{self, Raise};
use roundtable_app::{AppError, Caller};
use roundtable_domain::credentials::{Password, Secret};
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::Role;
use roundtable_domain::sign_in::SignInThrottle;
use roundtable_domain::text::{Email, Label, Slug};
use roundtable_store::Store;
use roundtable_store::auth::Actor;
use roundtable_store::departments::{Department, NewDepartment};
use roundtable_store::people::NewPerson;
use roundtable_testkit::TestDatabase;

const PASSWORD: &str = "correct horse battery staple";

/// An organization with Marketing (provider) and Sales (consumer), each
/// with a lead who belongs to it, a member of Sales and an administrator.
struct World {
    _database: TestDatabase,
    store: Store,
    admin: Actor,
    marketing_lead: Actor,
    sales_lead: Actor,
    member: Actor,
    marketing: Department,
    sales: Department,
}

impl World {
    async fn new() -> World {
        let database = TestDatabase::create().await;
        let store = database.store().await;
        let organization = roundtable_testkit::acme(&store).await;
        let scoped = store.scoped(organization.id);
        let hash = Password::published(PASSWORD).hash().unwrap();
        let mut people = Vec::new();
        for (email, role) in [
            ("admin@acme.test", Role::Admin),
            ("marketing.lead@acme.test", Role::Lead),
            ("sales.lead@acme.test", Role::Lead),
            ("member@acme.test", Role::Member),
        ] {
            let person = scoped
                .create_person(NewPerson {
                    email: Email::parse(email).unwrap(),
                    name: Label::parse(email.split('@').next().unwrap()).unwrap(),
                    title: None,
                    department_id: None,
                    role,
                    password_hash: Some(hash.clone()),
                })
                .await
                .unwrap();
            people.push(person);
        }
        let mut departments = Vec::new();
        for (slug, name, lead) in [
            ("marketing", "Marketing", people[1].id),
            ("sales", "Sales", people[2].id),
        ] {
            departments.push(
                scoped
                    .create_department(NewDepartment {
                        slug: Slug::parse(slug).unwrap(),
                        name: Label::parse(name).unwrap(),
                        parent_id: None,
                        calendar_id: None,
                        customer_facing: false,
                        lead_ids: vec![lead],
                    })
                    .await
                    .unwrap(),
            );
        }
        let (marketing, sales) = (departments[0].clone(), departments[1].clone());
        for (person, department) in [
            (&people[1], marketing.id),
            (&people[2], sales.id),
            (&people[3], sales.id),
        ] {
            scoped
                .update_person(
                    person.id,
                    roundtable_store::people::PersonChanges {
                        department_id: roundtable_store::Change::Set(Some(department)),
                        ..Default::default()
                    },
                    person.version,
                )
                .await
                .unwrap();
        }
        let mut actors = Vec::new();
        for person in &people {
            actors.push(scoped.actor(person.id).await.unwrap());
        }
        let [admin, marketing_lead, sales_lead, member] = <[Actor; 4]>::try_from(actors).unwrap();
        World {
            _database: database,
            store,
            admin,
            marketing_lead,
            sales_lead,
            member,
            marketing,
            sales,
        }
    }

    fn caller<'a>(&'a self, actor: &'a Actor) -> Caller<'a> {
        Caller::new(&self.store, actor)
    }
}

fn invalid_fields(error: AppError) -> Vec<String> {
    match error {
        AppError::Invalid(errors) => errors.0.into_iter().map(|error| error.field).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

#[tokio::test]
async fn an_agreement_is_drafted_by_a_side_and_agreed_by_both_leads() {
    let world = World::new().await;
    let today = roundtable_app::input::today();
    let cell = Draft {
        provider_department_id: world.marketing.id.0,
        consumer_department_id: world.sales.id.0,
        obligations: vec![agreements::ObligationInput {
            description: "Feedback on every lead within a week".to_owned(),
            due_within_business_days: Some(5),
        }],
        ..Draft::default()
    };

    let refused = agreements::draft(&world.caller(&world.member), cell.clone()).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let unknown = agreements::draft(
        &world.caller(&world.marketing_lead),
        Draft {
            consumer_department_id: 987_654,
            ..cell.clone()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(invalid_fields(unknown), ["consumer_department_id"]);

    let drafted = agreements::draft(&world.caller(&world.marketing_lead), cell)
        .await
        .unwrap();
    assert_eq!(drafted.current.status.as_str(), "draft");

    let stale = agreements::propose(
        &world.caller(&world.sales_lead),
        drafted.id,
        Some(drafted.version + 1),
    )
    .await;
    assert!(
        matches!(stale, Err(AppError::PreconditionFailed { .. })),
        "{stale:?}"
    );
    let proposed = agreements::propose(
        &world.caller(&world.sales_lead),
        drafted.id,
        Some(drafted.version),
    )
    .await
    .unwrap();
    assert_eq!(proposed.current.status.as_str(), "proposed");

    // Administrators manage agreements but accept for no department.
    let by_admin = agreements::accept(&world.caller(&world.admin), drafted.id, None, today).await;
    assert!(
        matches!(by_admin, Err(AppError::Forbidden(_))),
        "{by_admin:?}"
    );
    let half = agreements::accept(
        &world.caller(&world.marketing_lead),
        drafted.id,
        None,
        today,
    )
    .await
    .unwrap();
    assert_eq!(half.current.status.as_str(), "proposed");
    let agreed = agreements::accept(&world.caller(&world.sales_lead), drafted.id, None, today)
        .await
        .unwrap();
    assert_eq!(agreed.current.status.as_str(), "agreed");
    assert_eq!(agreed.agreed_version, Some(agreed.current_version));

    let future = agreements::review(
        &world.caller(&world.sales_lead),
        drafted.id,
        ReviewInput {
            reviewed_on: Some(today.tomorrow().unwrap().to_string()),
            notes: String::new(),
        },
        today,
    )
    .await
    .unwrap_err();
    assert_eq!(invalid_fields(future), ["reviewed_on"]);
    let review = agreements::review(
        &world.caller(&world.sales_lead),
        drafted.id,
        ReviewInput {
            reviewed_on: None,
            notes: " Going well ".to_owned(),
        },
        today,
    )
    .await
    .unwrap();
    assert_eq!(
        (review.reviewed_on, review.notes.as_str()),
        (today, "Going well")
    );
    let reviews = agreements::reviews(&world.caller(&world.member), drafted.id)
        .await
        .unwrap();
    assert_eq!(reviews.len(), 1);
}

#[tokio::test]
async fn a_service_is_managed_by_its_providers_leads() {
    let world = World::new().await;
    let input = ServiceInput {
        provider_department_id: world.marketing.id.0,
        consumer_department_ids: vec![world.sales.id.0],
        name: "Qualified leads".to_owned(),
        targets: TargetsInput {
            first_response_minutes: 60,
            fulfilment_minutes: 600,
        },
        ..ServiceInput::default()
    };
    let refused = services::create(&world.caller(&world.sales_lead), input.clone()).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let service = services::create(&world.caller(&world.marketing_lead), input)
        .await
        .unwrap();
    assert_eq!(service.provider_department_id, world.marketing.id);

    let edit = |expected_version| ServiceEdit {
        name: Some("Sales-ready leads".to_owned()),
        fulfilment_minutes: Some(30),
        expected_version,
        ..ServiceEdit::default()
    };
    // A fulfilment target shorter than the kept first-response target.
    let short = services::update(
        &world.caller(&world.marketing_lead),
        service.id,
        edit(service.version),
    )
    .await
    .unwrap_err();
    assert_eq!(invalid_fields(short), ["first_response_minutes"]);
    let moved = services::update(
        &world.caller(&world.marketing_lead),
        service.id,
        ServiceEdit {
            provider_department_id: Some(world.sales.id.0),
            expected_version: service.version,
            ..ServiceEdit::default()
        },
    )
    .await;
    assert!(matches!(moved, Err(AppError::Forbidden(_))), "{moved:?}");
    let renamed = services::update(
        &world.caller(&world.admin),
        service.id,
        ServiceEdit {
            fulfilment_minutes: None,
            ..edit(service.version)
        },
    )
    .await
    .unwrap();
    assert_eq!(renamed.name, "Sales-ready leads");
    let stale = services::update(
        &world.caller(&world.admin),
        service.id,
        ServiceEdit {
            fulfilment_minutes: None,
            ..edit(service.version)
        },
    )
    .await;
    assert!(
        matches!(stale, Err(AppError::PreconditionFailed { .. })),
        "{stale:?}"
    );
}

#[tokio::test]
async fn signing_in_checks_the_password_and_slows_repeated_failures() {
    let world = World::new().await;
    let rules = SignInThrottling {
        account: SignInThrottle {
            free_failures: 2,
            first_delay: SignedDuration::from_mins(1),
            max_delay: SignedDuration::from_mins(5),
            forget_after: SignedDuration::from_hours(1),
        },
        ..SignInThrottling::default()
    };
    let client = Some("192.0.2.7".parse().unwrap());
    let attempt = |password: &str| Credentials {
        email: " Member@Acme.test ".to_owned(),
        password: Secret::new(password),
        organization: None,
    };
    let lifetime = SignedDuration::from_hours(8);

    let malformed = sign_in::sign_in(
        &world.store,
        &rules,
        client,
        Credentials {
            email: "not an email".to_owned(),
            ..attempt(PASSWORD)
        },
        lifetime,
    )
    .await
    .unwrap_err();
    assert_eq!(invalid_fields(malformed), ["email"]);

    let session = sign_in::sign_in(&world.store, &rules, client, attempt(PASSWORD), lifetime)
        .await
        .unwrap();
    assert_eq!(session.actor.person_id, world.member.person_id);
    assert!(session.expires_at > Timestamp::now());
    let (actor, _) = world
        .store
        .actor_for_session(
            &roundtable_domain::credentials::token_digest(session.secret.expose()),
            Timestamp::now(),
            SignedDuration::from_hours(1),
        )
        .await
        .unwrap()
        .expect("the session is stored");
    assert_eq!(actor.person_id, world.member.person_id);

    // From a client that never signed in to the account, failures beyond
    // the free ones make the next attempt wait, even with the right password.
    let stranger = Some("198.51.100.9".parse().unwrap());
    for _ in 0..3 {
        let wrong =
            sign_in::sign_in(&world.store, &rules, stranger, attempt("guess"), lifetime).await;
        assert!(
            matches!(wrong, Err(AppError::Unauthenticated(_))),
            "{wrong:?}"
        );
    }
    let held = sign_in::sign_in(&world.store, &rules, stranger, attempt(PASSWORD), lifetime).await;
    assert!(
        matches!(held, Err(AppError::Throttled { retry_after_seconds, .. }) if retry_after_seconds > 0),
        "{held:?}"
    );
    // The account's own device is not held up by a stranger's failures.
    sign_in::sign_in(&world.store, &rules, client, attempt(PASSWORD), lifetime)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_review_agenda_has_every_section_even_without_data() {
    let world = World::new().await;
    let refused = reviews::open(
        &world.caller(&world.marketing_lead),
        Opening {
            period: "2027-Q1".to_owned(),
            ..Opening::default()
        },
    )
    .await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let review = reviews::open(
        &world.caller(&world.admin),
        Opening {
            period: "2027-Q1".to_owned(),
            ..Opening::default()
        },
    )
    .await
    .unwrap();
    let today = jiff::civil::date(2027, 2, 1);
    let agenda = reviews::agenda(
        &world.caller(&world.member),
        review.id,
        today,
        Timestamp::now(),
    )
    .await
    .unwrap();
    assert_eq!(agenda.review.id, review.id);
    assert_eq!(agenda.as_of, today);
    assert!(agenda.off_track_objectives.is_empty());
    assert!(agenda.lowest_health_cells.is_empty());
    assert!(agenda.largest_perception_gaps.is_empty());
    assert!(agenda.top_voted_open_topics.is_empty());
    assert!(agenda.overdue_actions.is_empty());
    assert_eq!(
        reviews::all(&world.caller(&world.member))
            .await
            .unwrap()
            .len(),
        1
    );
    let missing = reviews::agenda(
        &world.caller(&world.member),
        987_654,
        today,
        Timestamp::now(),
    )
    .await;
    assert!(matches!(missing, Err(AppError::NotFound)), "{missing:?}");
}

#[tokio::test]
async fn a_matrix_cell_shows_its_open_frustrations_and_its_kudos() {
    let world = World::new().await;
    let frustration = |title: &str| Raise {
        kind: "frustration".to_owned(),
        title: title.to_owned(),
        body: "Leads arrive without a phone number".to_owned(),
        mirror: Some("We could say which fields we need".to_owned()),
        about_department_id: Some(world.marketing.id.0),
        ..Raise::default()
    };
    let open = topics::raise(&world.caller(&world.member), frustration("Thin leads"))
        .await
        .unwrap();
    // About the other direction of the pair: not this cell's.
    topics::raise(
        &world.caller(&world.marketing_lead),
        Raise {
            about_department_id: Some(world.sales.id.0),
            ..frustration("Late feedback")
        },
    )
    .await
    .unwrap();
    let found = topics::open_frustrations(
        &world.caller(&world.admin),
        world.marketing.id,
        world.sales.id,
    )
    .await
    .unwrap();
    assert_eq!(
        found.iter().map(|seen| seen.topic.id).collect::<Vec<_>>(),
        [open.id]
    );

    let thanks = |receiver_person_id, receiver_department_id: Option<DepartmentId>| Thanks {
        receiver_person_id,
        receiver_department_id: receiver_department_id.map(|department| department.0),
        message: "Thanks for the quick turnaround".to_owned(),
        ..Thanks::default()
    };
    let to_person = kudos::give(
        &world.caller(&world.marketing_lead),
        thanks(Some(world.member.person_id.0), None),
    )
    .await
    .unwrap();
    let to_department = kudos::give(
        &world.caller(&world.marketing_lead),
        thanks(None, Some(world.sales.id)),
    )
    .await
    .unwrap();
    // Sales thanking Marketing belongs to the other cell.
    kudos::give(
        &world.caller(&world.member),
        thanks(None, Some(world.marketing.id)),
    )
    .await
    .unwrap();
    let since = Timestamp::now() - SignedDuration::from_hours(24);
    let cell = kudos::of_cell(
        &world.caller(&world.member),
        world.marketing.id,
        world.sales.id,
        since,
    )
    .await
    .unwrap();
    assert_eq!(
        cell.iter().map(|kudos| kudos.id).collect::<Vec<_>>(),
        [to_department.id, to_person.id]
    );
    let later = kudos::of_cell(
        &world.caller(&world.member),
        world.marketing.id,
        world.sales.id,
        Timestamp::now() + SignedDuration::from_hours(1),
    )
    .await
    .unwrap();
    assert!(later.is_empty());
}
