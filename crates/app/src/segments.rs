//! Customer segments: the external customers at the centre, named with
//! their needs and the criteria that place a customer in them. Everyone
//! reads them; administrators change them.

use crate::input::parse_change;
use crate::{AppError, Caller, policy};
use roundtable_domain::ValidationErrors;
use roundtable_domain::text::Label;
use roundtable_store::segments::{NewSegment, Segment, SegmentChanges};
use roundtable_store::{Listing, PageRequest, every_page};

/// The longest description of a segment's needs, in characters.
pub const MAX_NEEDS: usize = 4_000;
/// The most criteria one segment lists.
pub const MAX_CRITERIA: usize = 50;

fn parse_needs(errors: &mut ValidationErrors, needs: &str) -> String {
    let needs = needs.trim();
    if needs.chars().count() > MAX_NEEDS {
        errors.push("needs", format!("must be at most {MAX_NEEDS} characters"));
    } else if needs
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.push(
            "needs",
            "must not contain control characters other than line breaks and tabs",
        );
    }
    needs.to_owned()
}

fn parse_criteria(errors: &mut ValidationErrors, criteria: &[String]) -> Vec<Label> {
    if criteria.len() > MAX_CRITERIA {
        errors.push(
            "criteria",
            format!("may list at most {MAX_CRITERIA} criteria"),
        );
    }
    criteria
        .iter()
        .enumerate()
        .filter_map(|(index, criterion)| {
            errors.check(&format!("criteria[{index}]"), Label::parse(criterion))
        })
        .collect()
}

/// A segment as it arrives, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct SegmentInput {
    pub name: String,
    pub needs: String,
    pub criteria: Vec<String>,
}

impl SegmentInput {
    pub fn parse(self) -> Result<NewSegment, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", Label::parse(&self.name));
        let needs = parse_needs(&mut errors, &self.needs);
        let criteria = parse_criteria(&mut errors, &self.criteria);
        match name {
            Some(name) if errors.is_empty() => Ok(NewSegment {
                name,
                needs,
                criteria,
            }),
            _ => Err(errors),
        }
    }
}

/// Changes to a segment; absent fields stay, criteria given replace all.
#[derive(Debug, Clone, Default)]
pub struct SegmentEdit {
    pub name: Option<String>,
    pub needs: Option<String>,
    pub criteria: Option<Vec<String>>,
}

impl SegmentEdit {
    pub fn parse(self) -> Result<SegmentChanges, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let changes = SegmentChanges {
            name: parse_change(&mut errors, "name", self.name.as_deref(), Label::parse),
            needs: self
                .needs
                .map(|needs| parse_needs(&mut errors, &needs))
                .into(),
            criteria: self
                .criteria
                .map(|criteria| parse_criteria(&mut errors, &criteria))
                .into(),
        };
        errors.finish(|| changes)
    }
}

/// One page of segments.
#[tracing::instrument(skip(caller))]
pub async fn list(caller: &Caller<'_>, page: PageRequest) -> Result<Listing<Segment>, AppError> {
    Ok(caller.scoped.list_segments(page).await?)
}

/// Every segment, oldest first.
pub async fn all(caller: &Caller<'_>) -> Result<Vec<Segment>, AppError> {
    every_page(|page| list(caller, page)).await
}

#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: i64) -> Result<Segment, AppError> {
    Ok(caller.scoped.segment(id).await?)
}

/// Adds a segment (administrators).
#[tracing::instrument(skip(caller, input))]
pub async fn create(caller: &Caller<'_>, input: SegmentInput) -> Result<Segment, AppError> {
    policy::manage_organization(caller.actor)?;
    let new = input.parse()?;
    Ok(caller.scoped.create_segment(new).await?)
}

/// Changes a segment (administrators) at the version read.
#[tracing::instrument(skip(caller, edit))]
pub async fn update(
    caller: &Caller<'_>,
    id: i64,
    edit: SegmentEdit,
    expected_version: i64,
) -> Result<Segment, AppError> {
    policy::manage_organization(caller.actor)?;
    let changes = edit.parse()?;
    Ok(caller
        .scoped
        .update_segment(id, changes, expected_version)
        .await?)
}

/// Deletes a segment nothing refers to (administrators).
#[tracing::instrument(skip(caller))]
pub async fn delete(
    caller: &Caller<'_>,
    id: i64,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    policy::manage_organization(caller.actor)?;
    Ok(caller.scoped.delete_segment(id, expected_version).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_criterion_is_named_by_its_position() {
        let Err(errors) = (SegmentInput {
            name: "Retailers".to_owned(),
            needs: "Fast answers".to_owned(),
            criteria: vec!["Has a shop".to_owned(), "   ".to_owned()],
        })
        .parse() else {
            panic!("a blank criterion is refused");
        };
        assert!(errors.0.iter().any(|error| error.field == "criteria[1]"));
        assert_eq!(errors.0.len(), 1);
    }
}
