//! Kudos: thanks from a person to a person and/or a department, with an
//! optional link and value tag, in a public feed everyone signed in reads
//! (newest first). Recognitions of reached mutual measures share the feed,
//! from no person.

use crate::{AppError, Caller};
use jiff::Timestamp;
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_store::kudos::{Kudos, LinkKind, NewKudos};
use roundtable_store::{Listing, PageRequest, StoreError};
use std::collections::HashMap;

/// The longest value tag, in characters.
pub const MAX_VALUE_TAG: usize = 40;

/// What the kudos point at, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Link {
    /// `request`, `service`, `action` or `measure`.
    pub kind: String,
    pub id: i64,
}

/// Thanks as they arrive, before they are checked.
#[derive(Debug, Clone, Default)]
pub struct Thanks {
    pub receiver_person_id: Option<i64>,
    pub receiver_department_id: Option<i64>,
    pub message: String,
    pub link: Option<Link>,
    pub value_tag: Option<String>,
}

impl Thanks {
    /// The thanks checked, each problem under its field (`link.kind`,
    /// `link.id` for the link's parts), from `giver`, who cannot thank
    /// themselves.
    pub fn parse(self, giver: PersonId) -> Result<NewKudos, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let receiver_person = match self.receiver_person_id {
            Some(id) if id <= 0 => {
                errors.push("receiver_person_id", "must be a record id");
                None
            }
            Some(id) if id == giver.0 => {
                errors.push(
                    "receiver_person_id",
                    "must be someone else: kudos are thanks to others",
                );
                None
            }
            other => other.map(PersonId),
        };
        let receiver_department = match self.receiver_department_id {
            Some(id) if id <= 0 => {
                errors.push("receiver_department_id", "must be a record id");
                None
            }
            other => other.map(DepartmentId),
        };
        if self.receiver_person_id.is_none() && self.receiver_department_id.is_none() {
            errors.push(
                "receiver_person_id",
                "name a person or a department (or both) to thank",
            );
        }
        let message = parse_required_text(&mut errors, "message", &self.message);
        let link = self.link.and_then(|link| {
            let kind = LinkKind::parse(&link.kind);
            if kind.is_none() {
                errors.push(
                    "link.kind",
                    "must be one of request, service, action, measure",
                );
            }
            if link.id <= 0 {
                errors.push("link.id", "must be a record id");
            }
            kind.filter(|_| link.id > 0).map(|kind| (kind, link.id))
        });
        let value_tag = self
            .value_tag
            .map(|tag| tag.trim().to_owned())
            .filter(|tag| !tag.is_empty());
        if let Some(tag) = &value_tag
            && (tag.chars().count() > MAX_VALUE_TAG
                || tag
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() && c != ' '))
        {
            errors.push(
                "value_tag",
                format!("must be a single line of at most {MAX_VALUE_TAG} characters"),
            );
        }
        errors.finish(|| NewKudos {
            giver_person_id: giver,
            receiver_person_id: receiver_person,
            receiver_department_id: receiver_department,
            message,
            link,
            value_tag,
        })
    }
}

pub(crate) use crate::input::parse_required_text;

/// One page of the feed, newest first, optionally only the kudos given by
/// or to one department.
#[tracing::instrument(skip(caller))]
pub async fn feed(
    caller: &Caller<'_>,
    department: Option<DepartmentId>,
    page: PageRequest,
) -> Result<Listing<Kudos>, AppError> {
    Ok(caller.scoped.kudos_feed(department, page).await?)
}

/// The kudos of one matrix cell given since `since`: by people of
/// `provider` to `consumer` or to one of its people (as they belong now),
/// newest first. The matrix counts the same kudos in the cell.
#[tracing::instrument(skip_all, fields(provider = provider.0, consumer = consumer.0))]
pub async fn of_cell(
    caller: &Caller<'_>,
    provider: DepartmentId,
    consumer: DepartmentId,
    since: Timestamp,
) -> Result<Vec<Kudos>, AppError> {
    let mut departments_of: HashMap<PersonId, Option<DepartmentId>> = HashMap::new();
    let mut found = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = caller.scoped.kudos_feed(Some(provider), page).await?;
        for kudos in listing.items {
            if kudos.created_at < since {
                return Ok(found);
            }
            let receiving = match (kudos.receiver_department_id, kudos.receiver_person_id) {
                (Some(department), _) => Some(department),
                (None, Some(person)) => match departments_of.get(&person) {
                    Some(department) => *department,
                    None => {
                        let department = match caller.scoped.person(person).await {
                            Ok(person) => person.department_id,
                            Err(StoreError::NotFound) => None,
                            Err(other) => return Err(other.into()),
                        };
                        departments_of.insert(person, department);
                        department
                    }
                },
                (None, None) => None,
            };
            if kudos.giver_department_id == Some(provider) && receiving == Some(consumer) {
                found.push(kudos);
            }
        }
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(found),
        }
    }
}

#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<Kudos, AppError> {
    Ok(caller.scoped.kudos(id).await?)
}

/// Thanks a person and/or a department (anyone signed in, never themselves).
#[tracing::instrument(skip(caller, thanks))]
pub async fn give(caller: &Caller<'_>, thanks: Thanks) -> Result<Kudos, AppError> {
    let new = thanks.parse(caller.actor.person_id)?;
    Ok(caller.scoped.give_kudos(new).await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::input::fields;

    #[test]
    fn thanks_name_someone_else_and_say_something() {
        let errors = Thanks {
            receiver_person_id: Some(7),
            message: "  ".to_owned(),
            ..Thanks::default()
        }
        .parse(PersonId(7))
        .unwrap_err();
        assert_eq!(fields(&errors), ["receiver_person_id", "message"]);

        let errors = Thanks {
            message: "Thanks".to_owned(),
            ..Thanks::default()
        }
        .parse(PersonId(7))
        .unwrap_err();
        assert_eq!(fields(&errors), ["receiver_person_id"]);
    }

    #[test]
    fn a_link_and_a_tag_are_checked_under_their_own_names() {
        let errors = Thanks {
            receiver_department_id: Some(3),
            message: "Thanks".to_owned(),
            link: Some(Link {
                kind: "invoice".to_owned(),
                id: 0,
            }),
            value_tag: Some("two\nlines".to_owned()),
            ..Thanks::default()
        }
        .parse(PersonId(7))
        .unwrap_err();
        assert_eq!(fields(&errors), ["link.kind", "link.id", "value_tag"]);

        let new = Thanks {
            receiver_department_id: Some(3),
            message: " Thanks ".to_owned(),
            link: Some(Link {
                kind: "request".to_owned(),
                id: 12,
            }),
            value_tag: Some("  ".to_owned()),
            ..Thanks::default()
        }
        .parse(PersonId(7))
        .unwrap();
        assert_eq!(new.message, "Thanks");
        assert_eq!(new.link, Some((LinkKind::Request, 12)));
        assert_eq!(new.value_tag, None);
    }
}
