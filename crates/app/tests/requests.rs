//! The requests use cases without HTTP: who sees a request, which side may
//! change what, the segment rule, the queue's door and credits, on a real
//! database of the run's backend (roundtable-testkit).

use roundtable_app::requests::workflow::{self, Move};
use roundtable_app::requests::{self, ListQuery, NewRequestInput, RequestUpdate, queue};
use roundtable_app::{AppError, Caller, credits};
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::services::{Priority, Targets};
use roundtable_domain::text::{Email, Label, Slug};
use roundtable_store::auth::Actor;
use roundtable_store::departments::NewDepartment;
use roundtable_store::people::NewPerson;
use roundtable_store::segments::NewSegment;
use roundtable_store::services::ServiceDefinition;
use roundtable_store::{PageRequest, Store};
use roundtable_testkit::TestDatabase;
use std::collections::BTreeMap;

fn ok<T, E: std::fmt::Debug>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|error| panic!("{error:?}"))
}

/// An organization with two departments (IT provides a service serving one
/// of two segments; Sales consumes), and the people the tests act as.
struct World {
    _database: TestDatabase,
    store: Store,
    it: DepartmentId,
    sales: DepartmentId,
    service: i64,
    served_segment: i64,
    other_segment: i64,
    it_agent: Actor,
    sales_rep: Actor,
    sales_colleague: Actor,
    outsider: Actor,
    executive: Actor,
}

async fn world() -> World {
    let database = TestDatabase::create().await;
    let store = database.store().await;
    let organization = ok(store
        .create_organization(ok(Slug::parse("acme")), ok(Label::parse("Acme")))
        .await);
    let scoped = store.scoped(organization.id);
    let department = |slug: &str, name: &str| NewDepartment {
        slug: ok(Slug::parse(slug)),
        name: ok(Label::parse(name)),
        parent_id: None,
        calendar_id: None,
        customer_facing: false,
        lead_ids: Vec::new(),
    };
    let it = ok(scoped.create_department(department("it", "IT")).await).id;
    let sales = ok(scoped.create_department(department("sales", "Sales")).await).id;
    let finance = ok(scoped
        .create_department(department("finance", "Finance"))
        .await)
    .id;
    let mut people = Vec::new();
    for (email, department, role) in [
        ("agent@acme.test", Some(it), Role::Member),
        ("rep@acme.test", Some(sales), Role::Member),
        ("colleague@acme.test", Some(sales), Role::Member),
        ("clerk@acme.test", Some(finance), Role::Member),
        ("chief@acme.test", None, Role::Executive),
    ] {
        let person = ok(scoped
            .create_person(NewPerson {
                email: ok(Email::parse(email)),
                name: ok(Label::parse(email.split('@').next().unwrap_or(email))),
                title: None,
                department_id: department,
                role,
                password_hash: None,
            })
            .await);
        people.push(ok(scoped.actor(person.id).await));
    }
    let segment = |name: &str| NewSegment {
        name: ok(Label::parse(name)),
        needs: String::new(),
        criteria: Vec::new(),
    };
    let served_segment = ok(scoped.create_segment(segment("Retailers")).await).id;
    let other_segment = ok(scoped.create_segment(segment("Wholesalers")).await).id;
    let targets = Targets {
        first_response_minutes: 60,
        fulfilment_minutes: 480,
    };
    let service = ok(scoped
        .create_service(ServiceDefinition {
            provider_department_id: it,
            consumer_department_ids: vec![sales],
            segment_ids: vec![served_segment],
            name: ok(Label::parse("Laptop setup")),
            description: String::new(),
            definition_of_good: String::new(),
            owner_person_id: None,
            targets,
            priority_targets: BTreeMap::from([(
                Priority::Urgent,
                Targets {
                    first_response_minutes: 15,
                    fulfilment_minutes: 120,
                },
            )]),
            intake_fields: Vec::new(),
            volume: None,
            check_sampling_rate: 0.0,
            reopen_on_not_met: false,
            active: true,
        })
        .await)
    .id;
    let [it_agent, sales_rep, sales_colleague, outsider, executive] =
        <[Actor; 5]>::try_from(people).unwrap_or_else(|_| panic!("five people"));
    World {
        _database: database,
        store,
        it,
        sales,
        service,
        served_segment,
        other_segment,
        it_agent,
        sales_rep,
        sales_colleague,
        outsider,
        executive,
    }
}

impl World {
    fn caller<'a>(&'a self, actor: &'a Actor) -> Caller<'a> {
        Caller::new(&self.store, actor)
    }

    fn laptop(&self, segment: Option<i64>) -> NewRequestInput {
        NewRequestInput {
            service_id: Some(self.service),
            title: "A laptop for the new rep".to_owned(),
            segment_id: segment,
            ..NewRequestInput::default()
        }
    }
}

fn field_of(error: &AppError) -> Vec<String> {
    match error {
        AppError::Invalid(errors) => errors.0.iter().map(|error| error.field.clone()).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

#[tokio::test]
async fn a_request_names_only_a_segment_its_service_serves() {
    let world = world().await;
    let rep = world.caller(&world.sales_rep);
    let refused = requests::raise(&rep, world.laptop(Some(world.other_segment))).await;
    assert_eq!(
        field_of(&refused.err().unwrap_or_else(|| panic!("accepted"))),
        ["segment_id"]
    );
    let unknown = requests::raise(&rep, world.laptop(Some(999_999))).await;
    assert_eq!(
        field_of(&unknown.err().unwrap_or_else(|| panic!("accepted"))),
        ["segment_id"]
    );
    let raised = ok(requests::raise(&rep, world.laptop(Some(world.served_segment))).await);
    assert_eq!(raised.segment_id, Some(world.served_segment));
    assert_eq!(raised.provider_department_id, world.it);
    // An ad hoc request (no service) may name any segment of the organization.
    let ad_hoc = NewRequestInput {
        provider_department_id: Some(world.it.0),
        title: "Help with a one-off export".to_owned(),
        segment_id: Some(world.other_segment),
        ..NewRequestInput::default()
    };
    assert_eq!(
        ok(requests::raise(&rep, ad_hoc).await).segment_id,
        Some(world.other_segment)
    );
}

#[tokio::test]
async fn only_the_two_departments_and_those_who_see_everything_find_a_request() {
    let world = world().await;
    let raised = ok(requests::raise(&world.caller(&world.sales_rep), world.laptop(None)).await);
    for actor in [
        &world.sales_rep,
        &world.sales_colleague,
        &world.it_agent,
        &world.executive,
    ] {
        let found = ok(requests::visible(&world.caller(actor), raised.id).await);
        assert_eq!(found.id, raised.id);
    }
    let hidden = requests::visible(&world.caller(&world.outsider), raised.id).await;
    assert!(matches!(hidden, Err(AppError::NotFound)), "{hidden:?}");
    let listed = ok(requests::list(
        &world.caller(&world.outsider),
        ListQuery::default(),
        PageRequest::first(50),
    )
    .await);
    assert!(listed.items.is_empty());
    let mine = ok(requests::list(
        &world.caller(&world.sales_colleague),
        ListQuery {
            mine: true,
            ..ListQuery::default()
        },
        PageRequest::first(50),
    )
    .await);
    assert!(mine.items.is_empty(), "the colleague raised nothing");
}

#[tokio::test]
async fn the_provider_sets_priority_and_the_requester_cannot() {
    let world = world().await;
    let raised = ok(requests::raise(&world.caller(&world.sales_rep), world.laptop(None)).await);
    let urgent = || RequestUpdate {
        priority: Some("urgent".to_owned()),
        ..RequestUpdate::default()
    };
    let refused = requests::update(
        &world.caller(&world.sales_rep),
        raised.id,
        raised.version,
        urgent(),
    )
    .await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let changed = ok(requests::update(
        &world.caller(&world.it_agent),
        raised.id,
        raised.version,
        urgent(),
    )
    .await);
    assert_eq!(changed.priority, Priority::Urgent);
    assert_eq!(
        changed.targets.fulfilment_minutes, 120,
        "the urgent targets apply"
    );
    // A second change at the old version is refused as stale.
    let stale = requests::update(
        &world.caller(&world.it_agent),
        raised.id,
        raised.version,
        RequestUpdate::take(world.it_agent.person_id),
    )
    .await;
    assert!(
        matches!(stale, Err(AppError::PreconditionFailed { .. })),
        "{stale:?}"
    );
}

#[tokio::test]
async fn a_queue_is_for_its_own_department() {
    let world = world().await;
    ok(requests::raise(&world.caller(&world.sales_rep), world.laptop(None)).await);
    let page = ok(queue::page(&world.caller(&world.it_agent), world.it, None, None).await);
    assert_eq!(page.total, 1);
    let executive = ok(queue::page(&world.caller(&world.executive), world.it, None, None).await);
    assert_eq!(executive.total, 1);
    let refused = queue::page(&world.caller(&world.sales_rep), world.it, None, None).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let too_many = queue::page(&world.caller(&world.it_agent), world.it, None, Some(501)).await;
    assert_eq!(
        field_of(&too_many.err().unwrap_or_else(|| panic!("accepted"))),
        ["limit"]
    );
    let empty = ok(queue::page(&world.caller(&world.executive), world.sales, None, None).await);
    assert_eq!(empty.total, 0);
}

#[tokio::test]
async fn contributors_are_credited_by_a_side_once_the_work_is_done() {
    let world = world().await;
    let raised = ok(requests::raise(&world.caller(&world.sales_rep), world.laptop(None)).await);
    let agent = world.caller(&world.it_agent);
    let colleague = [world.sales_colleague.person_id.0];
    // Not resolved yet: the store refuses.
    let early = credits::credit(&agent, raised.id, &colleague, "thanks").await;
    assert!(matches!(early, Err(AppError::Conflict { .. })), "{early:?}");
    ok(workflow::transition(
        &agent,
        raised.id,
        None,
        Move {
            to: "resolved".to_owned(),
            ..Move::default()
        },
    )
    .await);
    // Someone on neither side may not credit, whatever they send.
    let outsider = credits::credit(&world.caller(&world.executive), raised.id, &[], "").await;
    assert!(
        matches!(outsider, Err(AppError::Forbidden(_))),
        "{outsider:?}"
    );
    let given = ok(credits::credit(&agent, raised.id, &colleague, "set it up").await);
    assert_eq!(given.len(), 1);
    assert_eq!(given[0].person_id, world.sales_colleague.person_id);
    // The credited colleague now finds the request, and only its giver takes it back.
    let listed = ok(credits::list(&world.caller(&world.sales_colleague), raised.id).await);
    assert_eq!(listed.len(), 1);
    let taken = credits::remove(
        &world.caller(&world.sales_rep),
        raised.id,
        PersonId(world.sales_colleague.person_id.0),
    )
    .await;
    assert!(matches!(taken, Err(AppError::Forbidden(_))), "{taken:?}");
    ok(credits::remove(&agent, raised.id, world.sales_colleague.person_id).await);
    assert!(ok(credits::list(&agent, raised.id).await).is_empty());
}
