//! How many requests flowed through each matrix cell (provider department ←
//! requester's department) in a window: the volume the web matrix shows in
//! every cell. A read of its own, so the requests module stays about the
//! workflow.

use crate::time::to_db;
use crate::{Scoped, StoreError};
use jiff::Timestamp;
use roundtable_domain::ids::DepartmentId;
use sqlx::Row;

/// Requests raised since some instant, per (provider, consumer) cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellVolume {
    pub provider: DepartmentId,
    pub consumer: DepartmentId,
    pub requests: i64,
}

impl Scoped<'_> {
    /// Requests raised at or after `since`, counted per provider department and
    /// the requester's (current) department; requesters without one are left out.
    pub async fn request_volume_since(
        &self,
        since: Timestamp,
    ) -> Result<Vec<CellVolume>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.provider_department_id, p.department_id, COUNT(*) AS requests FROM \
                requests r JOIN people p ON p.organization_id = r.organization_id AND p.id = \
                r.requester_person_id WHERE r.organization_id = $1 AND r.created_at >= $2 \
                AND p.department_id IS NOT NULL GROUP BY r.provider_department_id, \
                p.department_id",
        )
        .bind(self.organization.0)
        .bind(to_db(since))
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CellVolume {
                    provider: DepartmentId(row.try_get("provider_department_id")?),
                    consumer: DepartmentId(row.try_get("department_id")?),
                    requests: row.try_get("requests")?,
                })
            })
            .collect()
    }
}
