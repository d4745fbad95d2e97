//! Kudos: thanks from a person to a person and/or a department, and the
//! recognitions that credit every department of a reached mutual measure
//! (written by `objectives`, from no person). The giver's department is
//! kept as it was when the kudos was given, so the matrix can count thanks
//! per cell (giver's department → receiver's department).

use crate::time::{instant, now, to_db};
use crate::{Listing, PageRequest, Scoped, StoreError, ensure_exists};
use jiff::Timestamp;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::notices;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// What a kudos may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Request,
    Service,
    Action,
    Measure,
}

impl LinkKind {
    pub const ALL: [LinkKind; 4] = [
        LinkKind::Request,
        LinkKind::Service,
        LinkKind::Action,
        LinkKind::Measure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Request => "request",
            LinkKind::Service => "service",
            LinkKind::Action => "action",
            LinkKind::Measure => "measure",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text.trim())
    }

    fn table(self) -> &'static str {
        match self {
            LinkKind::Request => "requests",
            LinkKind::Service => "services",
            LinkKind::Action => "actions",
            LinkKind::Measure => "measures",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Kudos {
    pub id: i64,
    /// `None` for a recognition of a reached mutual measure.
    pub giver_person_id: Option<PersonId>,
    pub giver_department_id: Option<DepartmentId>,
    pub receiver_person_id: Option<PersonId>,
    pub receiver_department_id: Option<DepartmentId>,
    pub message: String,
    pub link: Option<(LinkKind, i64)>,
    pub value_tag: Option<String>,
    /// Set on a recognition: the mutual measure whose target was reached.
    pub recognized_measure_id: Option<i64>,
    pub created_at: Timestamp,
    pub giver_name: Option<String>,
    pub receiver_person_name: Option<String>,
    pub receiver_department_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewKudos {
    pub giver_person_id: PersonId,
    pub receiver_person_id: Option<PersonId>,
    pub receiver_department_id: Option<DepartmentId>,
    pub message: String,
    pub link: Option<(LinkKind, i64)>,
    pub value_tag: Option<String>,
}

/// Kudos with the names a feed shows (people and departments as they are now).
const SELECT: &str = "SELECT k.id, k.giver_person_id, k.giver_department_id, k.receiver_person_id, \
    k.receiver_department_id, k.message, k.link_kind, k.link_id, k.value_tag, \
    k.recognized_measure_id, k.created_at, g.name AS giver_name, r.name AS \
    receiver_person_name, d.name AS receiver_department_name FROM kudos k LEFT JOIN people g \
    ON g.organization_id = k.organization_id AND g.id = k.giver_person_id LEFT JOIN people r \
    ON r.organization_id = k.organization_id AND r.id = k.receiver_person_id LEFT JOIN \
    departments d ON d.organization_id = k.organization_id AND d.id = \
    k.receiver_department_id";

fn from_row(row: &AnyRow) -> Result<Kudos, StoreError> {
    let link = match (
        row.try_get::<Option<String>, _>("link_kind")?,
        row.try_get::<Option<i64>, _>("link_id")?,
    ) {
        (Some(kind), Some(id)) => Some((
            LinkKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("kudos link {kind:?}")))?,
            id,
        )),
        _ => None,
    };
    Ok(Kudos {
        id: row.try_get("id")?,
        giver_person_id: row
            .try_get::<Option<i64>, _>("giver_person_id")?
            .map(PersonId),
        giver_department_id: row
            .try_get::<Option<i64>, _>("giver_department_id")?
            .map(DepartmentId),
        receiver_person_id: row
            .try_get::<Option<i64>, _>("receiver_person_id")?
            .map(PersonId),
        receiver_department_id: row
            .try_get::<Option<i64>, _>("receiver_department_id")?
            .map(DepartmentId),
        message: row.try_get("message")?,
        link,
        value_tag: row.try_get("value_tag")?,
        recognized_measure_id: row.try_get("recognized_measure_id")?,
        created_at: instant(row, "created_at")?,
        giver_name: row.try_get("giver_name")?,
        receiver_person_name: row.try_get("receiver_person_name")?,
        receiver_department_name: row.try_get("receiver_department_name")?,
    })
}

/// A department's share of thanks over a window, for its scorecard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DepartmentKudos {
    /// Kudos to the department or its people from people of other departments.
    pub received: i64,
    /// Kudos its people gave to other departments or their people.
    pub given: i64,
    /// Recognitions of reached mutual measures it shared in.
    pub recognitions: i64,
}

impl Scoped<'_> {
    /// Gives kudos; the giver's current department is recorded with it.
    pub async fn give_kudos(&self, new: NewKudos) -> Result<Kudos, StoreError> {
        self.give_kudos_at(new, now()).await
    }

    /// Gives kudos as of `at` (the demo backdates its feed).
    #[tracing::instrument(skip_all, fields(organization = self.organization.0))]
    pub async fn give_kudos_at(&self, new: NewKudos, at: Timestamp) -> Result<Kudos, StoreError> {
        let organization = self.organization;
        self.store
            .write(move |transaction| {
                Box::pin(async move {
                    crate::ensure_reference(
                        transaction,
                        organization,
                        new.receiver_person_id,
                        "receiver_person_id",
                    )
                    .await?;
                    crate::ensure_reference(
                        transaction,
                        organization,
                        new.receiver_department_id,
                        "receiver_department_id",
                    )
                    .await?;
                    if let Some((kind, id)) = new.link {
                        ensure_exists(transaction, kind.table(), organization, id, "link.id")
                            .await?;
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO kudos (organization_id, giver_person_id, \
                            giver_department_id, receiver_person_id, receiver_department_id, \
                            message, link_kind, link_id, value_tag, created_at) VALUES ($1, \
                            $2, (SELECT department_id FROM people WHERE organization_id = $1 \
                            AND id = $2), $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    )
                    .bind(organization.0)
                    .bind(new.giver_person_id.0)
                    .bind(new.receiver_person_id.map(|person| person.0))
                    .bind(new.receiver_department_id.map(|department| department.0))
                    .bind(new.message.clone())
                    .bind(new.link.map(|(kind, _)| kind.as_str()))
                    .bind(new.link.map(|(_, id)| id))
                    .bind(new.value_tag.clone())
                    .bind(to_db(at))
                    .fetch_one(&mut **transaction)
                    .await?;
                    let row = sqlx::query(&format!(
                        "{SELECT} WHERE k.organization_id = $1 AND k.id = $2"
                    ))
                    .bind(organization.0)
                    .bind(id)
                    .fetch_one(&mut **transaction)
                    .await?;
                    let kudos = from_row(&row)?;
                    // The person thanked hears of it; thanks to a department reach its leads.
                    let recipients = match (new.receiver_person_id, new.receiver_department_id) {
                        (Some(person), _) => vec![person],
                        (None, Some(department)) => {
                            crate::notifications::leads_of(transaction, organization, department.0)
                                .await?
                        }
                        (None, None) => Vec::new(),
                    };
                    let wording = notices::kudos_received(&new.message);
                    let notice = crate::notifications::Notice {
                        recipient: new.giver_person_id,
                        kind: "kudos_received",
                        subject_kind: "kudos",
                        subject_id: Some(id),
                        title: wording.title,
                        body: wording.body,
                        link: "/kudos".to_owned(),
                    };
                    crate::notifications::notify_each(
                        transaction,
                        organization,
                        &recipients,
                        Some(new.giver_person_id),
                        notice,
                        &to_db(at),
                    )
                    .await?;
                    Ok(kudos)
                })
            })
            .await
    }

    pub async fn kudos(&self, id: i64) -> Result<Kudos, StoreError> {
        let row = crate::rows::one_where(
            self.store.reader(),
            &format!("{SELECT} WHERE k.organization_id = $1 AND k.id = $2"),
            self.organization,
            id,
        )
        .await?;
        from_row(&row)
    }

    /// The public feed, newest first; `page.after` continues below that id.
    pub async fn kudos_feed(
        &self,
        department: Option<DepartmentId>,
        page: PageRequest,
    ) -> Result<Listing<Kudos>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE k.organization_id = $1 AND k.id < $2 \
             AND ($3 IS NULL OR k.receiver_department_id = $3 OR k.giver_department_id = $3) \
             ORDER BY k.id DESC LIMIT $4"
        ))
        .bind(self.organization.0)
        .bind(page.before_id())
        .bind(department.map(|department| department.0))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        page.listing_from(&rows, from_row, |kudos| kudos.id)
    }

    /// Kudos given since `since`, counted per matrix cell: the giver's
    /// department → the receiving department (or the receiving person's).
    /// Recognitions (no giver) and thanks within one department are not cells.
    pub async fn kudos_counts_per_cell(
        &self,
        since: Timestamp,
    ) -> Result<HashMap<(DepartmentId, DepartmentId), i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT k.giver_department_id AS giver, COALESCE(k.receiver_department_id, \
                p.department_id) AS receiver, COUNT(*) AS count FROM kudos k LEFT JOIN \
                people p ON p.organization_id = k.organization_id AND p.id = \
                k.receiver_person_id WHERE k.organization_id = $1 AND k.created_at >= $2 AND \
                k.giver_department_id IS NOT NULL GROUP BY k.giver_department_id, \
                COALESCE(k.receiver_department_id, p.department_id)",
        )
        .bind(self.organization.0)
        .bind(to_db(since))
        .fetch_all(self.store.reader())
        .await?;
        let mut counts = HashMap::new();
        for row in rows {
            let giver: i64 = row.try_get("giver")?;
            let Some(receiver) = row.try_get::<Option<i64>, _>("receiver")? else {
                continue;
            };
            if giver != receiver {
                counts.insert(
                    (DepartmentId(giver), DepartmentId(receiver)),
                    row.try_get("count")?,
                );
            }
        }
        Ok(counts)
    }
}

impl Scoped<'_> {
    /// Kudos received, given and shared recognitions of one department since
    /// `since`: what a department's scorecard shows of recognition.
    pub async fn department_kudos(
        &self,
        department: DepartmentId,
        since: Timestamp,
    ) -> Result<DepartmentKudos, StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN k.giver_department_id IS NOT NULL AND \
                k.giver_department_id <> $2 AND COALESCE(k.receiver_department_id, \
                p.department_id) = $2 THEN 1 ELSE 0 END), 0) AS received, COALESCE(SUM(CASE \
                WHEN k.giver_department_id = $2 AND COALESCE(k.receiver_department_id, \
                p.department_id, -1) <> $2 THEN 1 ELSE 0 END), 0) AS given, \
                COALESCE(SUM(CASE WHEN k.recognized_measure_id IS NOT NULL AND \
                k.receiver_department_id = $2 THEN 1 ELSE 0 END), 0) AS recognitions FROM \
                kudos k LEFT JOIN people p ON p.organization_id = k.organization_id AND p.id \
                = k.receiver_person_id WHERE k.organization_id = $1 AND k.created_at >= $3",
        )
        .bind(self.organization.0)
        .bind(department.0)
        .bind(to_db(since))
        .fetch_one(self.store.reader())
        .await?;
        Ok(DepartmentKudos {
            received: row.try_get("received")?,
            given: row.try_get("given")?,
            recognitions: row.try_get("recognitions")?,
        })
    }
}
