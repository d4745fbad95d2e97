//! Reading requests: one, a filtered page, a provider's open queue.

use super::records::{Request, RequestFilter};
use super::rows::{COLUMNS, FROM};
use super::rows::{attach_periods, from_row};
use crate::{Listing, PageRequest, Scoped, StoreError};
use roundtable_domain::clocks::ExternalImpact;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::requests::Status;
use std::sync::Arc;

impl Scoped<'_> {
    pub async fn request(&self, id: i64) -> Result<Request, StoreError> {
        let row = crate::rows::one_where(
            self.store.reader(),
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND r.id = $2"),
            self.organization,
            id,
        )
        .await?;
        let mut requests = [from_row(&row)?];
        let mut connection = self.store.reader().acquire().await?;
        attach_periods(&mut connection, self.organization, &mut requests).await?;
        let [request] = requests;
        Ok(request)
    }

    pub async fn list_requests(
        &self,
        filter: RequestFilter,
        page: PageRequest,
    ) -> Result<Listing<Request>, StoreError> {
        let (viewer, viewer_department) = match filter.visible_to {
            Some((person, department)) => {
                (Some(person.0), department.map(|department| department.0))
            }
            None => (None, None),
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND r.id > $2 AND \
                ($3 IS NULL OR r.status = $3) AND ($4 = 0 OR r.status NOT IN ('resolved', \
                'closed', 'cancelled')) AND ($5 IS NULL OR r.provider_department_id = $5) \
                AND ($6 IS NULL OR r.requester_person_id = $6) AND ($7 IS NULL OR \
                r.service_id = $7) AND ($8 IS NULL OR r.external_impact = $8) AND ($9 IS \
                NULL OR r.requester_person_id = $9 OR r.provider_department_id = $10 OR \
                p.department_id = $10) AND ($12 IS NULL OR $12 = (CASE WHEN EXISTS (SELECT 1 \
                FROM request_escalations e WHERE e.organization_id = r.organization_id AND \
                e.request_id = r.id AND e.clock = 'fulfilment' AND e.level = 'breached') \
                THEN 1 ELSE 0 END)) ORDER BY r.id LIMIT $11"
        ))
        .bind(self.organization.0)
        .bind(page.after_id())
        .bind(filter.status.map(Status::as_str))
        .bind(i64::from(filter.open_only))
        .bind(filter.provider_department_id.map(|department| department.0))
        .bind(filter.requester_person_id.map(|person| person.0))
        .bind(filter.service_id)
        .bind(filter.external_impact.map(ExternalImpact::as_str))
        .bind(viewer)
        .bind(viewer_department)
        .bind(page.fetch_limit())
        .bind(filter.breached.map(i64::from))
        .fetch_all(self.store.reader())
        .await?;
        let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        let mut connection = self.store.reader().acquire().await?;
        attach_periods(&mut connection, self.organization, &mut items).await?;
        Ok(page.into_listing(items, |request| request.id))
    }

    /// Every open request a provider department holds, for its queue, in no
    /// particular order (the queue order needs the clocks, read in Rust).
    /// The rows change only with a committed write, while the order changes
    /// with time, so the rows are kept per `requests` generation (see
    /// `caches`: every write but the escalation sweep's, which changes no
    /// request) and every reader computes the order for its own `now`. An
    /// entry only expired keeps serving while a task reads it again.
    pub async fn open_requests_of(
        &self,
        provider: DepartmentId,
    ) -> Result<Arc<Vec<Request>>, StoreError> {
        let (store, organization) = (self.store.clone(), self.organization);
        let read = move || async move {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE r.organization_id = $1 AND \
                    r.provider_department_id = $2 AND r.status NOT IN ('resolved', 'closed', \
                    'cancelled')"
            ))
            .bind(organization.0)
            .bind(provider.0)
            .fetch_all(store.reader())
            .await?;
            let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
            let mut connection = store.reader().acquire().await?;
            attach_periods(&mut connection, organization, &mut items).await?;
            Ok::<_, StoreError>(items)
        };
        let generation_of = self.store.clone();
        self.store
            .caches()
            .open_queues
            .get_or_fill_refreshing_behind(
                (self.organization.0, provider.0),
                move || generation_of.caches().requests.current(),
                read,
            )
            .await
    }
}

impl Scoped<'_> {
    /// The sub-requests split off a request.
    pub async fn sub_request_ids(&self, id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM requests WHERE organization_id = $1 AND parent_request_id = $2 \
            ORDER BY id",
        )
        .bind(self.organization.0)
        .bind(id)
        .fetch_all(self.store.reader())
        .await?)
    }
}
