//! The external-impact export: the report of `GET /api/v1/reports/external-impact`
//! over the last 90 days, one row per provider department and one per
//! customer segment (requests without a segment as "No segment"), from the
//! same store facts and the same domain tally, so the export and the page
//! can never disagree.

use crate::export::{ExportError, RowWriter};
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::external_impact::{ImpactTally, tally};
use roundtable_store::Scoped;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;

/// The window the export covers, ending now.
const WINDOW_DAYS: i64 = 90;

#[derive(Debug, Serialize)]
struct ImpactRow {
    /// `department` (a provider department) or `segment`.
    group: &'static str,
    /// The department's or segment's id; empty for "No segment".
    id: Option<i64>,
    name: String,
    window_days: i64,
    requests: i64,
    customer_waiting: i64,
    customer_affected: i64,
    breached: i64,
    deferred: i64,
    waited_business_minutes: i64,
    median_waited_business_minutes: Option<i64>,
    unmeasured: i64,
}

impl ImpactRow {
    fn new(group: &'static str, id: Option<i64>, name: String, tally: &ImpactTally) -> Self {
        ImpactRow {
            group,
            id,
            name,
            window_days: WINDOW_DAYS,
            requests: tally.requests(),
            customer_waiting: tally.customer_waiting,
            customer_affected: tally.customer_affected,
            breached: tally.breached,
            deferred: tally.deferred,
            waited_business_minutes: tally.waited_minutes,
            median_waited_business_minutes: tally.median_waited_minutes(),
            unmeasured: tally.unmeasured,
        }
    }
}

pub(crate) async fn export_external_impact<W: Write>(
    scoped: &Scoped<'_>,
    departments: &HashMap<i64, &str>,
    writer: &mut RowWriter<W>,
) -> Result<u64, ExportError> {
    let now = Timestamp::now();
    let from = now
        .checked_sub(SignedDuration::from_hours(WINDOW_DAYS * 24))
        .unwrap_or(Timestamp::MIN);
    let facts = scoped.external_impact_facts(from, now, None, now).await?;
    let report = tally(&facts);
    let segments = scoped.segment_names().await?;
    let mut rows = 0;
    for (department, tally) in &report.by_department {
        let name = departments.get(&department.0).map_or_else(
            || format!("Department {}", department.0),
            |name| (*name).to_owned(),
        );
        writer.write(&ImpactRow::new(
            "department",
            Some(department.0),
            name,
            tally,
        ))?;
        rows += 1;
    }
    for (segment, tally) in &report.by_segment {
        let name = match segment {
            Some(segment) => segments
                .get(segment)
                .cloned()
                .unwrap_or_else(|| format!("Segment {segment}")),
            None => "No segment".to_owned(),
        };
        writer.write(&ImpactRow::new("segment", *segment, name, tally))?;
        rows += 1;
    }
    Ok(rows)
}
