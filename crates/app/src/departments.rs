//! Departments: the organization's units, with their parent, calendar,
//! leads and whether they face customers. Everyone reads them;
//! administrators change them.

use crate::input::parse_change;
use crate::{AppError, Caller, policy};
use roundtable_domain::ValidationErrors;
use roundtable_domain::ids::{CalendarId, DepartmentId, PersonId};
use roundtable_domain::text::{Label, Slug};
use roundtable_store::departments::{Department, DepartmentChanges, NewDepartment};
use roundtable_store::{Listing, PageRequest};

/// A department as it arrives, before it is checked. Without a slug, one is
/// made from the name.
#[derive(Debug, Clone, Default)]
pub struct DepartmentInput {
    pub name: String,
    pub slug: Option<String>,
    pub parent_id: Option<i64>,
    pub calendar_id: Option<i64>,
    pub customer_facing: bool,
    pub lead_ids: Vec<i64>,
}

impl DepartmentInput {
    pub fn parse(self) -> Result<NewDepartment, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", Label::parse(&self.name));
        let slug = match &self.slug {
            Some(slug) => errors.check("slug", Slug::parse(slug)),
            None if name.is_some() => errors.check("name", Slug::from_name(&self.name)),
            None => None,
        };
        match (name, slug) {
            (Some(name), Some(slug)) if errors.is_empty() => Ok(NewDepartment {
                slug,
                name,
                parent_id: self.parent_id.map(DepartmentId),
                calendar_id: self.calendar_id.map(CalendarId),
                customer_facing: self.customer_facing,
                lead_ids: self.lead_ids.into_iter().map(PersonId).collect(),
            }),
            _ => Err(errors),
        }
    }
}

/// Changes to a department; absent fields stay. `Some(None)` clears the
/// parent or the calendar; leads given replace all.
#[derive(Debug, Clone, Default)]
pub struct DepartmentEdit {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub parent_id: Option<Option<i64>>,
    pub calendar_id: Option<Option<i64>>,
    pub customer_facing: Option<bool>,
    pub lead_ids: Option<Vec<i64>>,
}

impl DepartmentEdit {
    pub fn parse(self) -> Result<DepartmentChanges, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let changes = DepartmentChanges {
            name: parse_change(&mut errors, "name", self.name.as_deref(), Label::parse),
            slug: parse_change(&mut errors, "slug", self.slug.as_deref(), Slug::parse),
            parent_id: self.parent_id.map(|parent| parent.map(DepartmentId)).into(),
            calendar_id: self
                .calendar_id
                .map(|calendar| calendar.map(CalendarId))
                .into(),
            customer_facing: self.customer_facing.into(),
            lead_ids: self
                .lead_ids
                .map(|leads| leads.into_iter().map(PersonId).collect())
                .into(),
        };
        errors.finish(|| changes)
    }
}

/// One page of departments.
#[tracing::instrument(skip(caller))]
pub async fn list(caller: &Caller<'_>, page: PageRequest) -> Result<Listing<Department>, AppError> {
    Ok(caller.scoped.list_departments(page).await?)
}

#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: DepartmentId) -> Result<Department, AppError> {
    Ok(caller.scoped.department(id).await?)
}

/// Adds a department (administrators).
#[tracing::instrument(skip(caller, input))]
pub async fn create(caller: &Caller<'_>, input: DepartmentInput) -> Result<Department, AppError> {
    policy::manage_organization(caller.actor)?;
    let new = input.parse()?;
    Ok(caller.scoped.create_department(new).await?)
}

/// Changes a department (administrators) at the version read.
#[tracing::instrument(skip(caller, edit))]
pub async fn update(
    caller: &Caller<'_>,
    id: DepartmentId,
    edit: DepartmentEdit,
    expected_version: i64,
) -> Result<Department, AppError> {
    policy::manage_organization(caller.actor)?;
    let changes = edit.parse()?;
    Ok(caller
        .scoped
        .update_department(id, changes, expected_version)
        .await?)
}

/// Deletes a department nothing refers to (administrators).
#[tracing::instrument(skip(caller))]
pub async fn delete(
    caller: &Caller<'_>,
    id: DepartmentId,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    policy::manage_organization(caller.actor)?;
    Ok(caller
        .scoped
        .delete_department(id, expected_version)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_made_from_the_name_when_none_is_given() {
        let Ok(new) = DepartmentInput {
            name: "Customer Service".to_owned(),
            ..DepartmentInput::default()
        }
        .parse() else {
            panic!("a department needs only a name");
        };
        assert_eq!(new.slug.as_str(), "customer-service");
    }
}
