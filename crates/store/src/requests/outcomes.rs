//! The clock outcomes recorded on a request at the end of every write.

use super::clock_cache::ClockContext;
use super::records::Request;
use super::rows::fetch;
use crate::health_rollup::RollupChanges;
use crate::{StoreError, WriteTransaction};
use roundtable_domain::clocks::ClockState;
use roundtable_domain::ids::OrganizationId;
use roundtable_domain::requests::delivered_on_time;

/// Fixes the outcomes of the clocks that have stopped (first response within
/// target; delivered within target or by the accepted committed date) and
/// returns the request as it now stands. Called at the end of every write that
/// can stop, restart or re-judge a clock, so the outcomes health sums over
/// always agree with the clocks. Without a calendar nothing can be judged and
/// the outcomes stay unknown. Applies to the health rollup the difference
/// between the request `before` the write and after it.
pub(crate) async fn record_outcomes(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    id: i64,
    context: &ClockContext,
    before: &Request,
) -> Result<Request, StoreError> {
    let mut request = fetch(transaction, organization, id).await?;
    let readings = request.clocks(context, request.updated_at);
    let first_response_met = readings.as_ref().and_then(|(response, _)| {
        request
            .first_response_at
            .map(|_| response.state == ClockState::Met)
    });
    // One rule with the API's `on_time` (the domain's): within target, or by
    // the delivery date both sides accepted.
    let delivered_on_time = delivered_on_time(
        request.status,
        request.resolved_at,
        request.committed_due_at,
        readings
            .as_ref()
            .map(|(_, fulfilment)| fulfilment.state == ClockState::Met),
    );
    if (first_response_met, delivered_on_time)
        != (request.first_response_met, request.delivered_on_time)
    {
        sqlx::query(
            "UPDATE requests SET first_response_met = $1, delivered_on_time = $2 WHERE \
                organization_id = $3 AND id = $4",
        )
        .bind(first_response_met.map(i64::from))
        .bind(delivered_on_time.map(i64::from))
        .bind(organization.0)
        .bind(id)
        .execute(&mut **transaction)
        .await?;
        request.first_response_met = first_response_met;
        request.delivered_on_time = delivered_on_time;
    }
    // Whether the first response was recorded as breached matters only when
    // it decides between "judged" and "not judged" in a contribution that
    // changes.
    let judged_differently = before.first_response_met != request.first_response_met
        || before.provider_department_id != request.provider_department_id
        || before.consumer_department_id != request.consumer_department_id;
    let breached = judged_differently
        && (before.first_response_met.is_none() || request.first_response_met.is_none())
        && crate::health_rollup::first_response_breached(transaction, organization, id).await?;
    let mut rollup = RollupChanges::default();
    rollup.replace_request(&before.outcomes(breached), &request.outcomes(breached));
    crate::health_rollup::apply(transaction, organization, &rollup).await?;
    Ok(request)
}
