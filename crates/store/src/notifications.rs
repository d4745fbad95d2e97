//! Notifications and the transactional outbox.
//!
//! `notify` is called inside the transaction of the change that causes it:
//! it writes the in-app notification and one delivery row per further
//! channel (email when the person wants it, each subscribed webhook). If the
//! change rolls back, so does everything it would have sent. The worker
//! claims due deliveries with a conditional `UPDATE` (portable across SQLite
//! and PostgreSQL): of any number of instances exactly one wins each claim,
//! and a claim that expires — its instance died mid-send — is taken over.

use crate::time::{from_db, to_db};
use crate::{Listing, PageRequest, Scoped, Store, StoreError, WriteTransaction};
use jiff::{SignedDuration, Timestamp};
use roundtable_domain::ids::{OrganizationId, PersonId};
use roundtable_domain::notices;
use sqlx::Row;
use sqlx::any::AnyRow;

/// The kinds of events people can be told about.
pub const KINDS: &[&str] = &[
    "assigned",
    "clock_at_risk",
    "clock_breached",
    "deferred",
    "commitment_proposed",
    "commitment_accepted",
    "check_requested",
    "check_not_met",
    "assumption_answered",
    "action_due",
    "action_overdue",
    "kudos_received",
    "enhancement_status",
    "weekly_digest",
    "webhook_disabled",
];

/// One thing to tell one person.
#[derive(Debug, Clone)]
pub struct Notice {
    pub recipient: PersonId,
    pub kind: &'static str,
    pub subject_kind: &'static str,
    pub subject_id: Option<i64>,
    pub title: String,
    pub body: String,
    /// A path in the web application, e.g. `/requests/42`.
    pub link: String,
}

/// Records a notice inside the caller's transaction: the in-app notification
/// (unless the person turned it off), an email delivery (unless turned off)
/// and a delivery to every active webhook that wants this kind.
pub(crate) async fn notify(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    notice: Notice,
    stamp: &str,
) -> Result<(), StoreError> {
    let preferences = sqlx::query(
        "SELECT channel, enabled FROM notification_preferences WHERE organization_id = $1 \
            AND person_id = $2 AND kind = $3",
    )
    .bind(organization.0)
    .bind(notice.recipient.0)
    .bind(notice.kind)
    .fetch_all(&mut **transaction)
    .await?;
    let mut in_app = true;
    let mut email = true;
    for row in &preferences {
        let channel: String = row.try_get("channel")?;
        let enabled = row.try_get::<i64, _>("enabled")? != 0;
        match channel.as_str() {
            "in_app" => in_app = enabled,
            _ => email = enabled,
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notifications (organization_id, recipient_person_id, kind, \
            subject_kind, subject_id, title, body, link, created_at, read_at) VALUES ($1, \
            $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(organization.0)
    .bind(notice.recipient.0)
    .bind(notice.kind)
    .bind(notice.subject_kind)
    .bind(notice.subject_id)
    .bind(notice.title)
    .bind(notice.body)
    .bind(notice.link)
    .bind(stamp.to_owned())
    // Turned off in the inbox: kept (webhooks and email still refer to it) but born read.
    .bind((!in_app).then(|| stamp.to_owned()))
    .fetch_one(&mut **transaction)
    .await?;
    if email {
        insert_delivery(transaction, organization, id, "email", None, stamp).await?;
    }
    let webhooks = sqlx::query(
        "SELECT id, kinds FROM webhooks WHERE organization_id = $1 AND active = 1 ORDER BY id",
    )
    .bind(organization.0)
    .fetch_all(&mut **transaction)
    .await?;
    for row in &webhooks {
        let kinds: Vec<String> =
            serde_json::from_str(&row.try_get::<String, _>("kinds")?).unwrap_or_default();
        if kinds.is_empty() || kinds.iter().any(|kind| kind == notice.kind) {
            insert_delivery(
                transaction,
                organization,
                id,
                "webhook",
                Some(row.try_get("id")?),
                stamp,
            )
            .await?;
        }
    }
    Ok(())
}

async fn insert_delivery(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    notification: i64,
    channel: &str,
    webhook: Option<i64>,
    stamp: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deliveries (organization_id, notification_id, channel, webhook_id, \
            next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(organization.0)
    .bind(notification)
    .bind(channel.to_owned())
    .bind(webhook)
    .bind(stamp.to_owned())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Tells each of `recipients` once (skipping `actor`, who made the change).
pub(crate) async fn notify_each(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    recipients: &[PersonId],
    actor: Option<PersonId>,
    notice: Notice,
    stamp: &str,
) -> Result<(), StoreError> {
    let mut told: Vec<PersonId> = Vec::new();
    for recipient in recipients {
        if Some(*recipient) == actor || told.contains(recipient) {
            continue;
        }
        told.push(*recipient);
        notify(
            transaction,
            organization,
            Notice {
                recipient: *recipient,
                ..notice.clone()
            },
            stamp,
        )
        .await?;
    }
    Ok(())
}

/// The leads of a department, for notices to "the provider's lead".
pub(crate) async fn leads_of(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    department: i64,
) -> Result<Vec<PersonId>, StoreError> {
    let leads: Vec<i64> = sqlx::query_scalar(
        "SELECT person_id FROM department_leads WHERE organization_id = $1 AND \
            department_id = $2 ORDER BY person_id",
    )
    .bind(organization.0)
    .bind(department)
    .fetch_all(&mut **transaction)
    .await?;
    Ok(leads.into_iter().map(PersonId).collect())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub recipient_person_id: PersonId,
    pub kind: String,
    pub subject_kind: String,
    pub subject_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, recipient_person_id, kind, subject_kind, subject_id, title, body, \
    link, created_at, read_at";

fn from_row(row: &AnyRow) -> Result<Notification, StoreError> {
    Ok(Notification {
        id: row.try_get("id")?,
        recipient_person_id: PersonId(row.try_get("recipient_person_id")?),
        kind: row.try_get("kind")?,
        subject_kind: row.try_get("subject_kind")?,
        subject_id: row.try_get("subject_id")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        link: row.try_get("link")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
        read_at: row
            .try_get::<Option<String>, _>("read_at")?
            .map(|text| from_db(&text))
            .transpose()?,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Preference {
    pub kind: String,
    pub channel: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub kinds: Vec<String>,
    pub active: bool,
    pub consecutive_failures: i64,
    pub disabled_reason: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
}

const WEBHOOK_COLUMNS: &str =
    "id, url, kinds, active, consecutive_failures, disabled_reason, version, created_at";

fn webhook_from_row(row: &AnyRow) -> Result<Webhook, StoreError> {
    let kinds: String = row.try_get("kinds")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        kinds: serde_json::from_str(&kinds)
            .map_err(|error| StoreError::Corrupt(format!("webhook kinds {kinds:?}: {error}")))?,
        active: row.try_get::<i64, _>("active")? != 0,
        consecutive_failures: row.try_get("consecutive_failures")?,
        disabled_reason: row.try_get("disabled_reason")?,
        version: row.try_get("version")?,
        created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
    })
}

/// A delivery as the log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub notification_id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
    pub next_attempt_at: Timestamp,
}

impl Scoped<'_> {
    /// One person's inbox, newest first.
    pub async fn notifications_of(
        &self,
        person: PersonId,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Listing<Notification>, StoreError> {
        let unread = if unread_only {
            " AND read_at IS NULL"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications WHERE organization_id = $1 AND \
                recipient_person_id = $2 AND id < $3{unread} ORDER BY id DESC LIMIT $4"
        ))
        .bind(self.organization.0)
        .bind(person.0)
        .bind(page.after.unwrap_or(i64::MAX))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(page.into_listing(items, |notification| notification.id))
    }

    pub async fn unread_count(&self, person: PersonId) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE organization_id = $1 AND \
            recipient_person_id = $2 AND read_at IS NULL",
        )
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_one(self.store.reader())
        .await?)
    }

    /// Marks one notification (or, with `None`, all) of `person` read; returns how many changed.
    pub async fn mark_read(
        &self,
        person: PersonId,
        id: Option<i64>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    if let Some(id) = id {
                        let owner: Option<i64> = sqlx::query_scalar(
                            "SELECT recipient_person_id FROM notifications WHERE \
                            organization_id = $1 AND id = $2",
                        )
                        .bind(organization.0)
                        .bind(id)
                        .fetch_optional(&mut **transaction)
                        .await?;
                        if owner != Some(person.0) {
                            return Err(StoreError::NotFound);
                        }
                    }
                    let changed = sqlx::query(
                        "UPDATE notifications SET read_at = $1 WHERE organization_id = $2 \
                            AND recipient_person_id = $3 AND read_at IS NULL AND ($4 = 0 OR \
                            id = $4)",
                    )
                    .bind(to_db(at))
                    .bind(organization.0)
                    .bind(person.0)
                    .bind(id.unwrap_or(0))
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                    Ok(changed)
                })
            })
            .await
    }

    /// The person's choices that differ from the default (every channel on).
    pub async fn preferences_of(&self, person: PersonId) -> Result<Vec<Preference>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, channel, enabled FROM notification_preferences WHERE \
            organization_id = $1 AND person_id = $2 ORDER BY kind, channel",
        )
        .bind(self.organization.0)
        .bind(person.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Preference {
                    kind: row.try_get("kind")?,
                    channel: row.try_get("channel")?,
                    enabled: row.try_get::<i64, _>("enabled")? != 0,
                })
            })
            .collect()
    }

    /// Sets the person's choices (each replaces the one for its kind and channel).
    pub async fn set_preferences(
        &self,
        person: PersonId,
        preferences: Vec<Preference>,
    ) -> Result<(), StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    for preference in &preferences {
                        sqlx::query(
                            "INSERT INTO notification_preferences (organization_id, \
                                person_id, kind, channel, enabled) VALUES ($1, $2, $3, $4, \
                                $5) ON CONFLICT (person_id, kind, channel) DO UPDATE SET \
                                enabled = $5",
                        )
                        .bind(organization.0)
                        .bind(person.0)
                        .bind(preference.kind.clone())
                        .bind(preference.channel.clone())
                        .bind(i64::from(preference.enabled))
                        .execute(&mut **transaction)
                        .await?;
                    }
                    Ok(())
                })
            })
            .await
    }

    pub async fn create_webhook(
        &self,
        url: String,
        secret: String,
        kinds: Vec<String>,
    ) -> Result<Webhook, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    let stamp = to_db(crate::time::now());
                    let row = sqlx::query(&format!(
                        "INSERT INTO webhooks (organization_id, url, secret, kinds, \
                            created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
                            RETURNING {WEBHOOK_COLUMNS}"
                    ))
                    .bind(organization.0)
                    .bind(url.clone())
                    .bind(secret)
                    .bind(serde_json::Value::from(kinds).to_string())
                    .bind(stamp)
                    .fetch_one(&mut **transaction)
                    .await?;
                    let webhook = webhook_from_row(&row)?;
                    crate::audit::record(
                        transaction,
                        audit,
                        "webhook.created",
                        "webhook",
                        webhook.id,
                        format!("url {url}"),
                    )
                    .await?;
                    Ok(webhook)
                })
            })
            .await
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = $1 ORDER BY id"
        ))
        .bind(self.organization.0)
        .fetch_all(self.store.reader())
        .await?;
        rows.iter().map(webhook_from_row).collect()
    }

    pub async fn webhook(&self, id: i64) -> Result<Webhook, StoreError> {
        let row = crate::rows::one(
            self.store.reader(),
            "webhooks",
            WEBHOOK_COLUMNS,
            self.organization,
            id,
        )
        .await?;
        webhook_from_row(&row)
    }

    /// Turns a webhook on or off; turning it on forgets its failures.
    pub async fn set_webhook_active(
        &self,
        id: i64,
        active: bool,
        expected_version: i64,
    ) -> Result<Webhook, StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    crate::lock_row(transaction, "webhooks", organization, id).await?;
                    let version: i64 = sqlx::query_scalar(
                        "SELECT version FROM webhooks WHERE organization_id = $1 AND id = $2",
                    )
                    .bind(organization.0)
                    .bind(id)
                    .fetch_optional(&mut **transaction)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                    crate::check_version(version, Some(expected_version))?;
                    let row = sqlx::query(&format!(
                        "UPDATE webhooks SET active = $1, consecutive_failures = 0, \
                            disabled_reason = NULL, version = version + 1, updated_at = $2 \
                            WHERE organization_id = $3 AND id = $4 RETURNING \
                            {WEBHOOK_COLUMNS}"
                    ))
                    .bind(i64::from(active))
                    .bind(to_db(crate::time::now()))
                    .bind(organization.0)
                    .bind(id)
                    .fetch_one(&mut **transaction)
                    .await?;
                    crate::audit::record(
                        transaction,
                        audit,
                        if active {
                            "webhook.enabled"
                        } else {
                            "webhook.disabled"
                        },
                        "webhook",
                        id,
                        String::new(),
                    )
                    .await?;
                    webhook_from_row(&row)
                })
            })
            .await
    }

    pub async fn delete_webhook(&self, id: i64) -> Result<(), StoreError> {
        let organization = self.organization;
        let audit = self.audit_context();
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    crate::delete_row(transaction, "webhooks", organization, id, "the webhook")
                        .await?;
                    crate::audit::record(
                        transaction,
                        audit,
                        "webhook.deleted",
                        "webhook",
                        id,
                        String::new(),
                    )
                    .await
                })
            })
            .await
    }

    /// Sends `notice` as `person`'s digest for `week` unless one was sent:
    /// the primary key makes it once per lead and week across instances.
    pub async fn send_digest(
        &self,
        week: String,
        notice: Notice,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let organization = self.organization;
        self.store
            .bookkeeping_write(move |transaction| {
                Box::pin(async move {
                    let stamp = to_db(at);
                    let inserted = sqlx::query(
                        "INSERT INTO digests (organization_id, person_id, week, sent_at) \
                            VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(organization.0)
                    .bind(notice.recipient.0)
                    .bind(week)
                    .bind(stamp.clone())
                    .execute(&mut **transaction)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        notify(transaction, organization, notice, &stamp).await?;
                    }
                    Ok(inserted == 1)
                })
            })
            .await
    }

    /// Reminds owners of open round-table actions due tomorrow (or today) and
    /// of overdue ones, each reminder once per action; returns how many were sent.
    pub async fn remind_actions(
        &self,
        today: jiff::civil::Date,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let tomorrow = today.tomorrow().unwrap_or(today);
        let rows = sqlx::query(
            "SELECT id, title, owner_person_id, due_on FROM actions WHERE organization_id = $1 \
             AND status IN ('open', 'in_progress') AND due_on <= $2 ORDER BY id",
        )
        .bind(self.organization.0)
        .bind(tomorrow.to_string())
        .fetch_all(self.store.reader())
        .await?;
        let mut sent = 0;
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let title: String = row.try_get("title")?;
            let owner = PersonId(row.try_get("owner_person_id")?);
            let due_on: String = row.try_get("due_on")?;
            let overdue = due_on.as_str() < today.to_string().as_str();
            let (kind, reminder) = if overdue {
                ("action_overdue", "overdue")
            } else {
                ("action_due", "due")
            };
            let wording = notices::action_reminder(&title, &due_on, overdue);
            let organization = self.organization;
            let notice = Notice {
                recipient: owner,
                kind,
                subject_kind: "action",
                subject_id: Some(id),
                title: wording.title,
                body: wording.body,
                link: format!("/actions/{id}"),
            };
            let inserted = self
                .store
                .bookkeeping_write(move |transaction| {
                    Box::pin(async move {
                        let stamp = to_db(at);
                        let inserted = sqlx::query(
                            "INSERT INTO action_reminders (organization_id, action_id, \
                                kind, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        )
                        .bind(organization.0)
                        .bind(id)
                        .bind(reminder)
                        .bind(stamp.clone())
                        .execute(&mut **transaction)
                        .await?
                        .rows_affected();
                        if inserted == 1 {
                            notify(transaction, organization, notice, &stamp).await?;
                        }
                        Ok(inserted)
                    })
                })
                .await?;
            sent += inserted;
        }
        Ok(sent)
    }

    /// A webhook's deliveries, newest first: the delivery log.
    pub async fn webhook_deliveries(
        &self,
        webhook: i64,
        page: PageRequest,
    ) -> Result<Listing<DeliveryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, d.notification_id, n.kind, d.state, d.attempts, d.last_status, \
                d.last_error, d.sent_at, d.next_attempt_at FROM deliveries d JOIN \
                notifications n ON n.organization_id = d.organization_id AND n.id = \
                d.notification_id WHERE d.organization_id = $1 AND d.webhook_id = $2 AND \
                d.id < $3 ORDER BY d.id DESC LIMIT $4",
        )
        .bind(self.organization.0)
        .bind(webhook)
        .bind(page.after.unwrap_or(i64::MAX))
        .bind(page.fetch_limit())
        .fetch_all(self.store.reader())
        .await?;
        let items = rows
            .iter()
            .map(|row| {
                Ok(DeliveryRecord {
                    id: row.try_get("id")?,
                    notification_id: row.try_get("notification_id")?,
                    kind: row.try_get("kind")?,
                    state: row.try_get("state")?,
                    attempts: row.try_get("attempts")?,
                    last_status: row.try_get("last_status")?,
                    last_error: row.try_get("last_error")?,
                    sent_at: row
                        .try_get::<Option<String>, _>("sent_at")?
                        .map(|text| from_db(&text))
                        .transpose()?,
                    next_attempt_at: from_db(&row.try_get::<String, _>("next_attempt_at")?)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(page.into_listing(items, |delivery| delivery.id))
    }
}

/// A claimed delivery with everything needed to send it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub organization_id: OrganizationId,
    pub channel: String,
    pub attempts: i64,
    pub notification: Notification,
    pub recipient_email: String,
    pub recipient_name: String,
    pub webhook: Option<(i64, String, String)>,
}

/// What happened when a delivery was attempted.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent {
        status: Option<i64>,
    },
    /// Try again at `retry_at`, or give up when `None`.
    Failed {
        status: Option<i64>,
        error: String,
        retry_at: Option<Timestamp>,
    },
}

/// After this many failures in a row a webhook is disabled and the admins told.
pub const WEBHOOK_FAILURE_LIMIT: i64 = 5;

impl Store {
    /// Claims up to `limit` due deliveries for `instance` until `lease` from
    /// now. Each row is claimed by a conditional update, so of racing
    /// instances exactly one gets it; an expired claim is claimable again.
    pub async fn claim_deliveries(
        &self,
        instance: &str,
        now: Timestamp,
        lease: SignedDuration,
        limit: i64,
    ) -> Result<Vec<Outgoing>, StoreError> {
        let stamp = to_db(now);
        let candidates: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
                AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY id LIMIT $2",
        )
        .bind(stamp.clone())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let until = to_db(now.saturating_add(lease).unwrap_or(now));
        let mut claimed = Vec::new();
        for id in candidates {
            let instance = instance.to_owned();
            let stamp = stamp.clone();
            let until = until.clone();
            let won = self
                .bookkeeping_write(move |transaction| {
                    Box::pin(async move {
                        Ok(sqlx::query(
                            "UPDATE deliveries SET claimed_by = $1, claimed_until = $2 \
                                WHERE id = $3 AND state = 'pending' AND (claimed_until IS \
                                NULL OR claimed_until < $4)",
                        )
                        .bind(instance)
                        .bind(until)
                        .bind(id)
                        .bind(stamp)
                        .execute(&mut **transaction)
                        .await?
                        .rows_affected()
                            == 1)
                    })
                })
                .await?;
            if won {
                claimed.push(id);
            }
        }
        let mut outgoing = Vec::with_capacity(claimed.len());
        for id in claimed {
            let row = sqlx::query(
                "SELECT d.id, d.organization_id, d.channel, d.attempts, d.webhook_id, \
                    w.url, w.secret, p.email, p.name, n.id AS n_id, n.recipient_person_id, \
                    n.kind, n.subject_kind, n.subject_id, n.title, n.body, n.link, \
                    n.created_at, n.read_at FROM deliveries d JOIN notifications n ON \
                    n.organization_id = d.organization_id AND n.id = d.notification_id JOIN \
                    people p ON p.organization_id = n.organization_id AND p.id = \
                    n.recipient_person_id LEFT JOIN webhooks w ON w.organization_id = \
                    d.organization_id AND w.id = d.webhook_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(self.reader())
            .await?;
            let webhook = match row.try_get::<Option<i64>, _>("webhook_id")? {
                Some(webhook) => Some((
                    webhook,
                    row.try_get::<Option<String>, _>("url")?.unwrap_or_default(),
                    row.try_get::<Option<String>, _>("secret")?
                        .unwrap_or_default(),
                )),
                None => None,
            };
            outgoing.push(Outgoing {
                id,
                organization_id: OrganizationId(row.try_get("organization_id")?),
                channel: row.try_get("channel")?,
                attempts: row.try_get("attempts")?,
                recipient_email: row.try_get("email")?,
                recipient_name: row.try_get("name")?,
                webhook,
                notification: Notification {
                    id: row.try_get("n_id")?,
                    recipient_person_id: PersonId(row.try_get("recipient_person_id")?),
                    kind: row.try_get("kind")?,
                    subject_kind: row.try_get("subject_kind")?,
                    subject_id: row.try_get("subject_id")?,
                    title: row.try_get("title")?,
                    body: row.try_get("body")?,
                    link: row.try_get("link")?,
                    created_at: from_db(&row.try_get::<String, _>("created_at")?)?,
                    read_at: row
                        .try_get::<Option<String>, _>("read_at")?
                        .map(|text| from_db(&text))
                        .transpose()?,
                },
            });
        }
        Ok(outgoing)
    }

    /// Records the outcome of a claimed delivery. A webhook that fails
    /// [`WEBHOOK_FAILURE_LIMIT`] deliveries in a row (each given up after its
    /// retries) is disabled, and the organization's admins are told.
    pub async fn finish_delivery(
        &self,
        delivery: &Outgoing,
        outcome: Outcome,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let id = delivery.id;
        let organization = delivery.organization_id;
        let webhook = delivery
            .webhook
            .as_ref()
            .map(|(id, url, _)| (*id, url.clone()));
        self.bookkeeping_write(move |transaction| {
            Box::pin(async move {
                let stamp = to_db(now);
                match outcome {
                    Outcome::Sent { status } => {
                        sqlx::query(
                            "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, \
                            sent_at = $1, last_status = $2, last_error = NULL, claimed_until \
                            = NULL WHERE id = $3",
                        )
                        .bind(stamp)
                        .bind(status)
                        .bind(id)
                        .execute(&mut **transaction)
                        .await?;
                        if let Some((webhook, _)) = webhook {
                            sqlx::query(
                                "UPDATE webhooks SET consecutive_failures = 0 WHERE id = $1",
                            )
                            .bind(webhook)
                            .execute(&mut **transaction)
                            .await?;
                        }
                    }
                    Outcome::Failed {
                        status,
                        error,
                        retry_at,
                    } => {
                        let state = if retry_at.is_some() {
                            "pending"
                        } else {
                            "failed"
                        };
                        sqlx::query(
                            "UPDATE deliveries SET state = $1, attempts = attempts + 1, \
                                next_attempt_at = $2, last_status = $3, last_error = $4, \
                                claimed_until = NULL WHERE id = $5",
                        )
                        .bind(state)
                        .bind(to_db(retry_at.unwrap_or(now)))
                        .bind(status)
                        .bind(error)
                        .bind(id)
                        .execute(&mut **transaction)
                        .await?;
                        if let (Some((webhook, url)), None) = (webhook, retry_at) {
                            let failures: i64 = sqlx::query_scalar(
                                "UPDATE webhooks SET consecutive_failures = \
                                    consecutive_failures + 1 WHERE id = $1 RETURNING \
                                    consecutive_failures",
                            )
                            .bind(webhook)
                            .fetch_one(&mut **transaction)
                            .await?;
                            if failures >= WEBHOOK_FAILURE_LIMIT {
                                let disabled = sqlx::query(
                                    "UPDATE webhooks SET active = 0, disabled_reason = \
                                        $1, version = version + 1, updated_at = $2 WHERE id \
                                        = $3 AND active = 1",
                                )
                                .bind(format!(
                                    "disabled after {failures} failed deliveries in a row"
                                ))
                                .bind(stamp.clone())
                                .bind(webhook)
                                .execute(&mut **transaction)
                                .await?
                                .rows_affected();
                                if disabled == 1 {
                                    let admins: Vec<i64> = sqlx::query_scalar(
                                        "SELECT id FROM people WHERE organization_id = $1 AND \
                                        role = 'admin' AND active = 1 ORDER BY id",
                                    )
                                    .bind(organization.0)
                                    .fetch_all(&mut **transaction)
                                    .await?;
                                    let wording = notices::webhook_disabled(&url, failures);
                                    for admin in admins {
                                        let notice = Notice {
                                            recipient: PersonId(admin),
                                            kind: "webhook_disabled",
                                            subject_kind: "webhook",
                                            subject_id: Some(webhook),
                                            title: wording.title.clone(),
                                            body: wording.body.clone(),
                                            link: "/admin/webhooks".to_owned(),
                                        };
                                        notify(transaction, organization, notice, &stamp).await?;
                                    }
                                }
                            }
                        }
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// Counts deliveries by state, for tests and metrics.
    pub async fn delivery_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel, state, COUNT(*) AS total FROM deliveries GROUP BY channel, state \
            ORDER BY channel, state",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("channel")?,
                    row.try_get("state")?,
                    row.try_get("total")?,
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::NewPerson;
    use roundtable_domain::people::Role;
    use roundtable_domain::text::{Email, Label, Slug};

    /// A change that fails after it queued a notification sends nothing: the
    /// notification and its deliveries roll back with it. On the run's
    /// backend (a fresh database from roundtable-testkit, as every other
    /// test gets), so the suite proves it on SQLite and PostgreSQL both.
    #[tokio::test]
    async fn a_rolled_back_change_leaves_no_notification() {
        let (_database, store) = crate::tests::migrated_test_store().await;
        let organization = store
            .create_organization(
                Slug::parse("acme").unwrap_or_else(|_| panic!("slug")),
                Label::parse("Acme").unwrap_or_else(|_| panic!("name")),
            )
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let scoped = store.scoped(organization.id);
        let person = scoped
            .create_person(NewPerson {
                email: Email::parse("someone@acme.test").unwrap_or_else(|_| panic!("email")),
                name: Label::parse("Someone").unwrap_or_else(|_| panic!("name")),
                title: None,
                department_id: None,
                role: Role::Member,
                password_hash: None,
            })
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        scoped
            .create_webhook(
                "http://127.0.0.1:9/hook".to_owned(),
                "secret".to_owned(),
                vec![],
            )
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let notice = |title: &str| Notice {
            recipient: person.id,
            kind: "assigned",
            subject_kind: "request",
            subject_id: Some(1),
            title: title.to_owned(),
            body: String::new(),
            link: "/requests/1".to_owned(),
        };
        let failing = notice("rolled back");
        let outcome = store
            .write(move |transaction| {
                Box::pin(async move {
                    notify(
                        transaction,
                        organization.id,
                        failing,
                        "2026-11-22T10:00:00Z",
                    )
                    .await?;
                    Err::<(), _>(StoreError::invalid(
                        "title",
                        "the change failed after queuing its notice",
                    ))
                })
            })
            .await;
        assert!(outcome.is_err());
        assert!(store.delivery_counts().await.unwrap_or_default().is_empty());
        let kept = notice("kept");
        store
            .write(move |transaction| {
                Box::pin(async move {
                    notify(transaction, organization.id, kept, "2026-11-22T10:00:00Z").await
                })
            })
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let inbox = scoped
            .notifications_of(person.id, false, PageRequest::first(10))
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let titles: Vec<&str> = inbox
            .items
            .iter()
            .map(|notification| notification.title.as_str())
            .collect();
        assert_eq!(titles, ["kept"]);
        let counts = store.delivery_counts().await.unwrap_or_default();
        assert_eq!(
            counts,
            vec![
                ("email".to_owned(), "pending".to_owned(), 1),
                ("webhook".to_owned(), "pending".to_owned(), 1)
            ]
        );
    }
}
