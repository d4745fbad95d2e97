//! Three requests whose timelines tell what Roundtable can show: a hand-off
//! between departments with the time each held the work, a deferral because
//! an external customer comes first, and a delivery date both sides agreed.
//! Each is laid out in the recent past, step by step, so its timeline reads
//! in order.

use crate::DemoError;
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::clocks::ExternalImpact;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::requests::{Roles, Status};
use roundtable_domain::services::Priority;
use roundtable_store::Scoped;
use roundtable_store::requests::{
    CommitmentSide, Handoff, NewRequest, Transition, TransitionDetails,
};
use roundtable_store::services::Service;

const PROVIDER: Roles = Roles {
    provider: true,
    requester: false,
};

fn hours_ago(now: Timestamp, hours: i64) -> Timestamp {
    now - SignedDuration::from_hours(hours)
}

async fn service(scoped: &Scoped<'_>, name: &str) -> Result<Option<Service>, DemoError> {
    let services = crate::all_services(scoped).await?;
    Ok(services.into_iter().find(|service| service.name == name))
}

/// A lead of the department, and one of its members who is not a lead.
async fn lead_and_member(
    scoped: &Scoped<'_>,
    department: DepartmentId,
) -> Result<Option<(PersonId, PersonId)>, DemoError> {
    let people = crate::active_people(scoped, department).await?;
    let lead = people
        .iter()
        .find(|person| person.role == Role::Lead)
        .map(|person| person.id);
    let member = people
        .iter()
        .find(|person| person.role == Role::Member)
        .map(|person| person.id);
    Ok(lead.zip(member))
}

async fn step(
    scoped: &Scoped<'_>,
    request: i64,
    to: Status,
    actor: PersonId,
    note: &str,
    at: Timestamp,
) -> Result<(), DemoError> {
    let details = TransitionDetails {
        note: note.to_owned(),
        input_quality: None,
    };
    let transition = Transition {
        to,
        actor,
        roles: PROVIDER,
        details,
        expected_version: None,
        at,
    };
    scoped.transition_request(request, transition).await?;
    Ok(())
}

/// The provider's lead acknowledges the request, without a note.
async fn acknowledge(
    scoped: &Scoped<'_>,
    request: i64,
    lead: PersonId,
    at: Timestamp,
) -> Result<(), DemoError> {
    step(scoped, request, Status::Acknowledged, lead, "", at).await
}

fn new_request(
    service: &Service,
    requester: PersonId,
    title: &str,
    intake: &str,
    impact: ExternalImpact,
    reference: Option<&str>,
) -> NewRequest {
    NewRequest {
        service_id: Some(service.id),
        provider_department_id: service.provider_department_id,
        requester_person_id: requester,
        title: title.to_owned(),
        description: String::new(),
        intake_values: intake.to_owned(),
        priority: Priority::High,
        external_impact: impact,
        external_reference: reference.map(str::to_owned),
        segment_id: None,
        targets: service
            .priority_targets
            .get(&Priority::High)
            .copied()
            .unwrap_or(service.targets),
    }
}

pub(crate) async fn generate(scoped: &Scoped<'_>, now: Timestamp) -> Result<usize, DemoError> {
    let mut told = 0;
    let operations = scoped.department_by_slug("operations").await?;
    let sales = scoped.department_by_slug("sales").await?;

    // IT hands a warehouse problem to Operations: each department's time stays its own.
    if let (Some(it_support), Some(operations), Some(sales)) =
        (service(scoped, "IT support").await?, &operations, &sales)
        && let Some((it_lead, _)) =
            lead_and_member(scoped, it_support.provider_department_id).await?
        && let Some((operations_lead, _)) = lead_and_member(scoped, operations.id).await?
        && let Some((_, seller)) = lead_and_member(scoped, sales.id).await?
    {
        let intake = r#"{"system":"Other","blocked":true}"#;
        let new = new_request(
            &it_support,
            seller,
            "Order scanners in the warehouse log out every few minutes",
            intake,
            ExternalImpact::CustomerAffected,
            Some("ORD-51877"),
        );
        let request = scoped.create_request(new, hours_ago(now, 50)).await?.id;
        acknowledge(scoped, request, it_lead, hours_ago(now, 49)).await?;
        scoped
            .add_comment(
                request,
                it_lead,
                "Laptops and network are fine; the scanners' own firmware is failing.".to_owned(),
                false,
                true,
                hours_ago(now, 47),
            )
            .await?;
        let handoff = Handoff {
            by: it_lead,
            to: operations.id,
            service: None,
            targets: roundtable_store::requests::AD_HOC_TARGETS,
            note: "The scanners are Operations' equipment under the vendor contract; handing over with our findings.".to_owned(),
            at: hours_ago(now, 30),
        };
        scoped.transfer_request(request, handoff).await?;
        step(
            scoped,
            request,
            Status::InProgress,
            operations_lead,
            "Vendor engineer booked",
            hours_ago(now, 28),
        )
        .await?;
        told += 1;
    }

    // Finance defers an internal approval: a key customer's disputed invoice comes first.
    if let (Some(purchases), Some(operations)) =
        (service(scoped, "Purchase approvals").await?, &operations)
        && let Some((finance_lead, _)) =
            lead_and_member(scoped, purchases.provider_department_id).await?
        && let Some((_, planner)) = lead_and_member(scoped, operations.id).await?
    {
        let new = new_request(
            &purchases,
            planner,
            "Second pallet truck for the returns bay",
            r#"{"amount":6400}"#,
            ExternalImpact::None,
            None,
        );
        let request = scoped.create_request(new, hours_ago(now, 26)).await?.id;
        acknowledge(scoped, request, finance_lead, hours_ago(now, 25)).await?;
        scoped
            .defer_request(
                request,
                finance_lead,
                "A key customer's disputed invoice has to be settled first".to_owned(),
                now + SignedDuration::from_hours(28),
                hours_ago(now, 20),
            )
            .await?;
        told += 1;
    }

    // Finance offers a date for a quote approval and the seller accepts it.
    if let (Some(quotes), Some(sales)) = (
        service(scoped, "Quote and discount approvals").await?,
        &sales,
    ) && let Some((finance_lead, _)) =
        lead_and_member(scoped, quotes.provider_department_id).await?
        && let Some((_, seller)) = lead_and_member(scoped, sales.id).await?
    {
        let intake = r#"{"account":"Cairngorm Outdoor (14 stores)","discount":12}"#;
        let new = new_request(
            &quotes,
            seller,
            "12 % on the spring order for Cairngorm Outdoor",
            intake,
            ExternalImpact::CustomerWaiting,
            Some("Q-2318"),
        );
        let request = scoped.create_request(new, hours_ago(now, 6)).await?.id;
        acknowledge(scoped, request, finance_lead, hours_ago(now, 5)).await?;
        let offer = scoped
            .propose_commitment(
                request,
                CommitmentSide::Provider,
                finance_lead,
                now + SignedDuration::from_hours(20),
                "We need the margin report from the close first; by tomorrow afternoon.".to_owned(),
                hours_ago(now, 4),
            )
            .await?;
        scoped
            .accept_commitment(
                request,
                offer.id,
                CommitmentSide::Requester,
                seller,
                hours_ago(now, 3),
            )
            .await?;
        told += 1;
    }
    Ok(told)
}
