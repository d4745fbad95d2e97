//! Notifications and the transactional outbox.
//!
//! `notify` is called inside the transaction of the change that causes it:
//! it writes the in-app notification and one delivery row per further
//! channel (email when the person wants it, each subscribed webhook). If the
//! change rolls back, so does everything it would have sent. The worker
//! claims due deliveries with a conditional `UPDATE` (portable across SQLite
//! and PostgreSQL): of any number of instances exactly one wins each claim,
//! and a claim that expires — its instance died mid-send — is taken over.
//!
//! `notify` and its helpers are here; `inbox` (a person's notifications, the
//! digest and action reminders), `preferences`, `webhooks` (and their
//! delivery log) and `outbox` (claiming and finishing deliveries) apart.

use crate::{StoreError, WriteTransaction};
use roundtable_domain::ids::{OrganizationId, PersonId};
use sqlx::Row;

mod inbox;
mod outbox;
mod preferences;
mod webhooks;

pub use inbox::Notification;
pub use outbox::{Outcome, Outgoing, WEBHOOK_FAILURE_LIMIT};
pub use preferences::Preference;
pub use webhooks::{DeliveryRecord, Webhook};

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
    "agreement_proposed",
    "agreement_reminder",
    "topic_raised",
    "pulse_opened",
    "pulse_reminder",
    "check_reminder",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PageRequest;
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
