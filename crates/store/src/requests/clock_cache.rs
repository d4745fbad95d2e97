//! The clock context: each department's calendar, indexed, and the
//! at-risk share, kept per configuration generation.

use crate::time::now;
use crate::{PageRequest, Scoped, StoreError};
use jiff::SignedDuration;
use roundtable_domain::business_time_index::{IndexedCalendars, index_calendars};
use roundtable_domain::calendar::CalendarDefinition;
use roundtable_domain::ids::DepartmentId;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;

/// What reading a clock needs beyond the request: each department's calendar
/// and the organization's at-risk share.
#[derive(Debug, Clone)]
pub struct ClockContext {
    pub calendars: HashMap<DepartmentId, CalendarDefinition>,
    /// The same calendars with their business time summed per day, so a
    /// clock of a two-year-old request costs two lookups rather than a walk
    /// over every date since (what clocks should read; exact, see
    /// `business_time_index`).
    pub indexed: IndexedCalendars,
    pub at_risk_share: f64,
}

/// How far back the clock context's index reaches: open requests older than
/// this still read exactly, walking the part before it.
const INDEXED_YEARS: i64 = 3;

impl Scoped<'_> {
    /// Calendars and the at-risk share, for reading clocks. Nearly every
    /// request reads them and only configuration writes change them, so they
    /// come from the store's cache (see `caches`).
    pub async fn clock_context(&self) -> Result<Arc<ClockContext>, StoreError> {
        let caches = self.store.caches();
        let generation = caches.configuration.current();
        if let Some(context) = caches.clock_contexts.get(&self.organization.0, generation) {
            return Ok(context);
        }
        let organization = self.organization().await?;
        let calendars = self.calendars_of_departments(&organization).await?;
        // From a few years back to a day ahead (the entry lives seconds);
        // readings outside walk that part, so the range affects speed only.
        let built_at = now();
        let indexed = index_calendars(
            &calendars,
            built_at
                .saturating_sub(SignedDuration::from_hours(24 * 366 * INDEXED_YEARS))
                .unwrap_or(built_at),
            built_at
                .saturating_add(SignedDuration::from_hours(24))
                .unwrap_or(built_at),
        );
        let context = Arc::new(ClockContext {
            calendars,
            indexed,
            at_risk_share: organization.at_risk_percent as f64 / 100.0,
        });
        caches
            .clock_contexts
            .insert(self.organization.0, Arc::clone(&context), generation);
        Ok(context)
    }

    /// The calendar each department's clocks run on: its own, else the
    /// organization's default; departments with neither are left out.
    pub async fn department_calendars(
        &self,
    ) -> Result<HashMap<DepartmentId, CalendarDefinition>, StoreError> {
        Ok(self.clock_context().await?.calendars.clone())
    }

    async fn calendars_of_departments(
        &self,
        organization: &crate::organizations::Organization,
    ) -> Result<HashMap<DepartmentId, CalendarDefinition>, StoreError> {
        let mut calendars: HashMap<i64, CalendarDefinition> = HashMap::new();
        let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
        loop {
            let listing = self.list_calendars(page).await?;
            for calendar in listing.items {
                calendars.insert(calendar.id.0, calendar.definition);
            }
            match listing.next_after {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
        let rows =
            sqlx::query("SELECT id, calendar_id FROM departments WHERE organization_id = $1")
                .bind(self.organization.0)
                .fetch_all(self.store.reader())
                .await?;
        let mut result = HashMap::new();
        for row in rows {
            let department: i64 = row.try_get("id")?;
            let calendar = row
                .try_get::<Option<i64>, _>("calendar_id")?
                .or(organization.default_calendar_id.map(|calendar| calendar.0))
                .and_then(|calendar| calendars.get(&calendar));
            if let Some(calendar) = calendar {
                result.insert(DepartmentId(department), calendar.clone());
            }
        }
        Ok(result)
    }
}
