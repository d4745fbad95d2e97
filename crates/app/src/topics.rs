//! Topics: what departments raise at the round table. A frustration carries
//! its mirror, an assumption is answered by the department it is about,
//! votes are one per person, and an anonymous topic stores no author.
//! Everyone signed in reads, raises, votes and comments; leads, executives
//! and administrators move topics along (the author may edit the texts).

use crate::input::{parse_text, parse_text_change, positive_id};
use crate::kudos::parse_required_text;
use crate::{AppError, Caller, policy};
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::DepartmentId;
use roundtable_domain::people::Role;
use roundtable_domain::round_table::{AssumptionAnswer, TopicKind, TopicStatus, check_topic};
use roundtable_domain::text::Label;
use roundtable_store::auth::Actor;
use roundtable_store::round_table::{Comment, NewTopic, Topic, TopicChanges, TopicFilter};
use roundtable_store::{Listing, PageRequest};

/// The most requests one topic links.
pub const MAX_LINKED_REQUESTS: usize = 50;

/// A topic as the caller sees it: with whether they voted for it.
#[derive(Debug, Clone)]
pub struct SeenTopic {
    pub topic: Topic,
    pub voted: bool,
}

pub(crate) use crate::input::parse_change as change;

/// A topic as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct Raise {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub mirror: Option<String>,
    /// The department speaking; defaults to the caller's own.
    pub from_department_id: Option<i64>,
    pub about_department_id: Option<i64>,
    pub anonymous: bool,
    pub service_id: Option<i64>,
    pub request_ids: Vec<i64>,
}

impl Raise {
    /// The topic checked for `actor`, who speaks for their own department
    /// (executives and administrators for any); every problem at once.
    pub fn parse(self, actor: &Actor) -> Result<NewTopic, AppError> {
        let mut errors = ValidationErrors::new();
        let kind = errors.check("kind", TopicKind::parse(&self.kind));
        let title = errors.check("title", Label::parse(&self.title));
        let body = parse_text(&mut errors, "body", &self.body);
        let mirror = self
            .mirror
            .as_deref()
            .map(|text| parse_text(&mut errors, "mirror", text))
            .filter(|text| !text.is_empty());
        if let Some(kind) = kind
            && let Err(mirror_errors) = check_topic(kind, mirror.as_deref())
        {
            errors.0.extend(mirror_errors.0);
        }
        let from = match self.from_department_id {
            Some(id) => positive_id(&mut errors, "from_department_id", id).map(DepartmentId),
            None => {
                if actor.department_id.is_none() {
                    errors.push(
                        "from_department_id",
                        "is required: you belong to no department, so name the one speaking",
                    );
                }
                actor.department_id
            }
        };
        let about = self
            .about_department_id
            .and_then(|id| positive_id(&mut errors, "about_department_id", id))
            .map(DepartmentId);
        let service = self
            .service_id
            .and_then(|id| positive_id(&mut errors, "service_id", id));
        if self.request_ids.len() > MAX_LINKED_REQUESTS {
            errors.push(
                "request_ids",
                format!("may list at most {MAX_LINKED_REQUESTS} requests"),
            );
        }
        let request_ids: Vec<i64> = self
            .request_ids
            .iter()
            .enumerate()
            .filter_map(|(index, id)| {
                positive_id(&mut errors, &format!("request_ids[{index}]"), *id)
            })
            .collect();
        if let Some(from) = from
            && let Err(error) = policy::speak_for(actor, from, "from_department_id")
        {
            match error {
                AppError::Invalid(found) => errors.0.extend(found.0),
                other => return Err(other),
            }
        }
        match (kind, title, from) {
            (Some(kind), Some(title), Some(from)) if errors.is_empty() => Ok(NewTopic {
                kind,
                title,
                body,
                mirror,
                from_department_id: from,
                about_department_id: about,
                author_person_id: (!self.anonymous).then_some(actor.person_id),
                service_id: service,
                request_ids,
            }),
            _ => Err(AppError::Invalid(errors)),
        }
    }
}

/// A filter as it arrives: the status and kind by name.
pub fn filter(
    status: Option<&str>,
    kind: Option<&str>,
    about_department_id: Option<i64>,
    from_department_id: Option<i64>,
) -> Result<TopicFilter, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let filter = TopicFilter {
        status: status.and_then(|text| errors.check("status", TopicStatus::parse(text))),
        kind: kind.and_then(|text| errors.check("kind", TopicKind::parse(text))),
        about_department_id: about_department_id.map(DepartmentId),
        from_department_id: from_department_id.map(DepartmentId),
    };
    errors.finish(|| filter)
}

/// One page of topics, each with whether the caller voted for it.
#[tracing::instrument(skip(caller))]
pub async fn list(
    caller: &Caller<'_>,
    filter: TopicFilter,
    page: PageRequest,
) -> Result<Listing<SeenTopic>, AppError> {
    let listing = caller.scoped.list_topics(filter, page).await?;
    let ids: Vec<i64> = listing.items.iter().map(|topic| topic.id).collect();
    let voted = caller
        .scoped
        .topics_voted_by(caller.actor.person_id, &ids)
        .await?;
    Ok(Listing {
        items: listing
            .items
            .into_iter()
            .map(|topic| SeenTopic {
                voted: voted.contains(&topic.id),
                topic,
            })
            .collect(),
        next_after: listing.next_after,
    })
}

/// The frustrations of `consumer` about `provider` that are still being
/// worked (neither resolved nor parked), most voted first: what a matrix
/// cell shows of the round table (anyone signed in).
#[tracing::instrument(skip_all, fields(provider = provider.0, consumer = consumer.0))]
pub async fn open_frustrations(
    caller: &Caller<'_>,
    provider: DepartmentId,
    consumer: DepartmentId,
) -> Result<Vec<SeenTopic>, AppError> {
    let filter = TopicFilter {
        status: None,
        kind: Some(TopicKind::Frustration),
        about_department_id: Some(provider),
        from_department_id: Some(consumer),
    };
    let mut frustrations = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listing = list(caller, filter.clone(), page).await?;
        frustrations.extend(listing.items.into_iter().filter(|seen| {
            !matches!(
                seen.topic.status,
                TopicStatus::Resolved | TopicStatus::Parked
            )
        }));
        match listing.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    frustrations.sort_by(|a, b| {
        b.topic
            .votes
            .cmp(&a.topic.votes)
            .then(b.topic.id.cmp(&a.topic.id))
    });
    Ok(frustrations)
}

/// One topic, with whether the caller voted for it.
#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<SeenTopic, AppError> {
    let topic = caller.scoped.topic(id).await?;
    seen(caller, topic).await
}

async fn seen(caller: &Caller<'_>, topic: Topic) -> Result<SeenTopic, AppError> {
    let voted = !caller
        .scoped
        .topics_voted_by(caller.actor.person_id, &[topic.id])
        .await?
        .is_empty();
    Ok(SeenTopic { topic, voted })
}

/// Raises a topic for the round table (anyone signed in, for their own
/// department). A frustration must carry the mirror; an anonymous topic
/// stores no author.
#[tracing::instrument(skip(caller, raise))]
pub async fn raise(caller: &Caller<'_>, raise: Raise) -> Result<Topic, AppError> {
    let new = raise.parse(caller.actor)?;
    Ok(caller.scoped.create_topic(new).await?)
}

/// A change to a topic as it arrives: the texts and the next status.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub title: Option<String>,
    pub body: Option<String>,
    pub mirror: Option<String>,
    /// `open` → `discussed` → `action_planned` → `resolved`, or `parked`.
    pub status: Option<String>,
    /// The version the caller read.
    pub expected_version: i64,
}

/// Edits a topic or moves its status: leads, executives and administrators;
/// the author may edit the texts of their own topic.
#[tracing::instrument(skip(caller, edit))]
pub async fn update(caller: &Caller<'_>, id: i64, edit: Edit) -> Result<SeenTopic, AppError> {
    let topic = caller.scoped.topic(id).await?;
    let is_author = topic.author_person_id == Some(caller.actor.person_id);
    if edit.status.is_some() || !is_author {
        policy::run_round_table(caller.actor)?;
    }
    let mut errors = ValidationErrors::new();
    let changes = TopicChanges {
        title: change(&mut errors, "title", edit.title.as_deref(), Label::parse),
        body: parse_text_change(&mut errors, "body", edit.body.as_deref()),
        mirror: parse_text_change(&mut errors, "mirror", edit.mirror.as_deref()),
        status: change(
            &mut errors,
            "status",
            edit.status.as_deref(),
            TopicStatus::parse,
        ),
    };
    let changes = errors.finish(|| changes)?;
    let topic = caller
        .scoped
        .update_topic(id, changes, edit.expected_version)
        .await?;
    seen(caller, topic).await
}

/// Votes for a topic: one vote per person, so voting again changes nothing.
#[tracing::instrument(skip(caller))]
pub async fn vote(caller: &Caller<'_>, id: i64) -> Result<SeenTopic, AppError> {
    let topic = caller
        .scoped
        .vote_for_topic(id, caller.actor.person_id)
        .await?;
    Ok(SeenTopic { topic, voted: true })
}

/// Withdraws the caller's vote.
#[tracing::instrument(skip(caller))]
pub async fn withdraw_vote(caller: &Caller<'_>, id: i64) -> Result<SeenTopic, AppError> {
    let topic = caller
        .scoped
        .withdraw_vote(id, caller.actor.person_id)
        .await?;
    Ok(SeenTopic {
        topic,
        voted: false,
    })
}

/// May the actor answer this topic? People of the department it is about,
/// and administrators. (Whether it can be answered at all, an assumption
/// about a department not yet answered, is the store's and the domain's
/// `check_answerable`.)
pub fn may_answer(actor: &Actor, topic: &Topic) -> bool {
    let concerned = topic
        .about_department_id
        .is_some_and(|about| actor.department_id == Some(about));
    concerned || actor.role == Role::Admin
}

/// An answer as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// `confirmed` or `corrected`.
    pub answer: String,
    /// Required when correcting: what is actually the case.
    pub note: String,
}

/// Answers an assumption (people of the department it is about, or
/// administrators): confirmed, or corrected with a note. Who may answer is
/// decided before the answer is judged.
#[tracing::instrument(skip(caller, answer))]
pub async fn answer(caller: &Caller<'_>, id: i64, answer: Answer) -> Result<SeenTopic, AppError> {
    let topic = caller.scoped.topic(id).await?;
    if topic.about_department_id.is_some() && !may_answer(caller.actor, &topic) {
        return Err(AppError::forbidden(
            "An assumption is answered by the department it is about.",
        ));
    }
    let mut errors = ValidationErrors::new();
    let given = errors.check("answer", AssumptionAnswer::parse(&answer.answer));
    let note = if given == Some(AssumptionAnswer::Corrected) {
        parse_required_text(&mut errors, "note", &answer.note)
    } else {
        parse_text(&mut errors, "note", &answer.note)
    };
    let given = match given {
        Some(given) if errors.is_empty() => given,
        _ => return Err(AppError::Invalid(errors)),
    };
    let topic = caller.scoped.answer_topic(id, given, note).await?;
    seen(caller, topic).await
}

/// A topic's comments, oldest first.
#[tracing::instrument(skip(caller))]
pub async fn comments(caller: &Caller<'_>, id: i64) -> Result<Vec<Comment>, AppError> {
    caller.scoped.topic(id).await?;
    Ok(caller.scoped.topic_comments(id).await?)
}

/// Comments on a topic (anyone signed in).
#[tracing::instrument(skip(caller, body))]
pub async fn comment(caller: &Caller<'_>, id: i64, body: &str) -> Result<Comment, AppError> {
    // Another organization's topic is 404 before the body is judged.
    caller.scoped.topic(id).await?;
    let mut errors = ValidationErrors::new();
    let body = parse_required_text(&mut errors, "body", body);
    errors.finish(|| ())?;
    Ok(caller
        .scoped
        .add_topic_comment(id, caller.actor.person_id, body)
        .await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use roundtable_domain::ids::{OrganizationId, PersonId};

    fn member(role: Role, department: Option<i64>) -> Actor {
        Actor {
            organization_id: OrganizationId(1),
            person_id: PersonId(9),
            role,
            name: "Ada".to_owned(),
            email: "ada@example.com".to_owned(),
            department_id: department.map(DepartmentId),
            time_zone: None,
        }
    }

    fn invalid_fields(error: AppError) -> Vec<String> {
        match error {
            AppError::Invalid(errors) => errors.0.into_iter().map(|error| error.field).collect(),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn a_frustration_needs_its_mirror_and_speaks_for_the_own_department() {
        let raise = Raise {
            kind: "frustration".to_owned(),
            title: "Leads arrive without a budget".to_owned(),
            from_department_id: Some(4),
            ..Raise::default()
        };
        let fields = invalid_fields(raise.parse(&member(Role::Member, Some(3))).unwrap_err());
        assert!(fields.contains(&"mirror".to_owned()), "{fields:?}");
        assert!(
            fields.contains(&"from_department_id".to_owned()),
            "{fields:?}"
        );
    }

    #[test]
    fn an_anonymous_topic_stores_no_author() {
        let new = Raise {
            kind: "suggestion".to_owned(),
            title: "Shared lead form".to_owned(),
            anonymous: true,
            ..Raise::default()
        }
        .parse(&member(Role::Member, Some(3)))
        .unwrap();
        assert_eq!(new.author_person_id, None);
        assert_eq!(new.from_department_id, DepartmentId(3));
    }

    #[test]
    fn someone_without_a_department_names_the_one_speaking() {
        let raise = Raise {
            kind: "suggestion".to_owned(),
            title: "Shared lead form".to_owned(),
            ..Raise::default()
        };
        let fields = invalid_fields(raise.parse(&member(Role::Executive, None)).unwrap_err());
        assert_eq!(fields, ["from_department_id"]);
    }
}
