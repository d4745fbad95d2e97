//! Which channels a person wants for each kind of notice.

use crate::{Scoped, StoreError};
use roundtable_domain::ids::PersonId;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct Preference {
    pub kind: String,
    pub channel: String,
    pub enabled: bool,
}

impl Scoped<'_> {
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
    #[tracing::instrument(skip_all, fields(organization = self.organization.0, person = person.0))]
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
}
