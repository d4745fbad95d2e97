//! People: everyone signed in reads the directory; administrators add
//! people, change their role, department and activity, reset a lost
//! password and deactivate them; people change their own name, title and
//! password (proving it is them with the current one unless they signed in
//! moments ago).

use crate::input::parse_change;
use crate::{AppError, Caller, policy};
use roundtable_domain::ValidationErrors;
use roundtable_domain::credentials::{Password, verify_password};
use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label};
use roundtable_store::people::{NewPerson, PeopleFilter, Person, PersonChanges};
use roundtable_store::{Change, Listing, PageRequest, every_page};

/// Password hashing is deliberately slow: it runs off the async threads.
async fn hash_password(password: Password) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(|error| AppError::Internal(error.to_string()))?
        .map_err(|error| AppError::Internal(error.to_string()))
}

/// Whether `password` is the person's current one (never, without a password set).
async fn is_current_password(hash: Option<String>, password: String) -> Result<bool, AppError> {
    let Some(hash) = hash else { return Ok(false) };
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|error| AppError::Internal(error.to_string()))
}

/// One page of people, of one department or activity state or all.
#[tracing::instrument(skip(caller))]
pub async fn list(
    caller: &Caller<'_>,
    filter: PeopleFilter,
    page: PageRequest,
) -> Result<Listing<Person>, AppError> {
    Ok(caller.scoped.list_people(filter, page).await?)
}

/// Everyone the filter lets through, oldest first.
pub async fn all(caller: &Caller<'_>, filter: PeopleFilter) -> Result<Vec<Person>, AppError> {
    every_page(|page| list(caller, filter, page)).await
}

#[tracing::instrument(skip(caller))]
pub async fn get(caller: &Caller<'_>, id: PersonId) -> Result<Person, AppError> {
    Ok(caller.scoped.person(id).await?)
}

/// A person as an administrator adds them, before it is checked.
#[derive(Clone, Default)]
pub struct PersonInput {
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub department_id: Option<i64>,
    /// `member` when absent.
    pub role: Option<String>,
    /// An initial password; without one the person cannot sign in yet.
    pub password: Option<String>,
}

impl std::fmt::Debug for PersonInput {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PersonInput")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("title", &self.title)
            .field("department_id", &self.department_id)
            .field("role", &self.role)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Adds a person (administrators).
#[tracing::instrument(skip(caller, input))]
pub async fn add(caller: &Caller<'_>, input: PersonInput) -> Result<Person, AppError> {
    policy::manage_organization(caller.actor)?;
    let mut errors = ValidationErrors::new();
    let email = errors.check("email", Email::parse(&input.email));
    let name = errors.check("name", Label::parse(&input.name));
    let title = match &input.title {
        Some(title) => errors
            .check("title", Label::parse_optional(title))
            .flatten(),
        None => None,
    };
    let role = match &input.role {
        Some(role) => errors.check("role", Role::parse(role)),
        None => Some(Role::Member),
    };
    let password = match &input.password {
        Some(password) => errors.check(
            "password",
            Password::parse_for(password, &input.email, &[&input.name]),
        ),
        None => None,
    };
    let (Some(email), Some(name), Some(role)) = (email, name, role) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let password_hash = match password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    Ok(caller
        .scoped
        .create_person(NewPerson {
            email,
            name,
            title,
            department_id: input.department_id.map(DepartmentId),
            role,
            password_hash,
        })
        .await?)
}

/// Changes to a person; absent fields stay. `Some(None)` clears the title
/// or the department.
#[derive(Clone, Default)]
pub struct PersonEdit {
    pub email: Option<String>,
    pub name: Option<String>,
    pub title: Option<Option<String>>,
    pub department_id: Option<Option<i64>>,
    pub role: Option<String>,
    pub active: Option<bool>,
    /// A new password for yourself.
    pub password: Option<String>,
    /// Your current password, needed with `password` unless `signed_in_recently`.
    pub current_password: Option<String>,
    /// The caller proved who they are moments ago (a browser session just
    /// signed in), so changing their password does not ask for the current one.
    pub signed_in_recently: bool,
}

impl std::fmt::Debug for PersonEdit {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |value: &Option<String>| value.as_ref().map(|_| "[redacted]");
        formatter
            .debug_struct("PersonEdit")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("title", &self.title)
            .field("department_id", &self.department_id)
            .field("role", &self.role)
            .field("active", &self.active)
            .field("password", &secret(&self.password))
            .field("current_password", &secret(&self.current_password))
            .field("signed_in_recently", &self.signed_in_recently)
            .finish()
    }
}

/// Changes a person at the version read: people their own name, title and
/// password; administrators everything else, of anyone. Someone else's
/// password is never changed here (see [`reset_password`]).
#[tracing::instrument(skip(caller, edit))]
pub async fn update(
    caller: &Caller<'_>,
    id: PersonId,
    edit: PersonEdit,
    expected_version: i64,
) -> Result<Person, AppError> {
    let administrative = edit.email.is_some()
        || edit.department_id.is_some()
        || edit.role.is_some()
        || edit.active.is_some();
    let own = caller.actor.person_id == id;
    if administrative || !own {
        policy::manage_organization(caller.actor)?;
    }
    if edit.password.is_some() && !own {
        return Err(AppError::invalid(
            "password",
            "you can change only your own password here; set someone else's with \
             POST /api/v1/people/{id}/password-reset, which the audit log records as a reset",
        ));
    }
    let mut errors = ValidationErrors::new();
    if edit.current_password.is_some() && edit.password.is_none() {
        errors.push(
            "current_password",
            "is needed only to change your password; send it with `password`",
        );
    }
    if edit.password.is_some() && !edit.signed_in_recently {
        match edit.current_password.clone() {
            None => errors.push(
                "current_password",
                "is required to change your password (or sign in again: within ten minutes \
                 of signing in it is not asked)",
            ),
            Some(current) => {
                let hash = caller.scoped.password_hash(id).await?;
                if !is_current_password(hash, current).await? {
                    errors.push("current_password", "is not your current password");
                }
            }
        }
    }
    let title = match &edit.title {
        Some(Some(title)) => errors
            .check("title", Label::parse_optional(title))
            .map_or(Change::Keep, Change::Set),
        Some(None) => Change::Set(None),
        None => Change::Keep,
    };
    let mut changes = PersonChanges {
        email: parse_change(&mut errors, "email", edit.email.as_deref(), Email::parse),
        name: parse_change(&mut errors, "name", edit.name.as_deref(), Label::parse),
        title,
        department_id: edit
            .department_id
            .map(|department| department.map(DepartmentId))
            .into(),
        role: parse_change(&mut errors, "role", edit.role.as_deref(), Role::parse),
        active: edit.active.into(),
        password_hash: Change::Keep,
    };
    let password = match &edit.password {
        Some(password) => {
            let person = caller.scoped.person(id).await?;
            let name = edit.name.clone().unwrap_or(person.name);
            errors.check(
                "password",
                Password::parse_for(password, &person.email, &[&name]),
            )
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if let Some(password) = password {
        changes.password_hash = Change::Set(hash_password(password).await?);
    }
    Ok(caller
        .scoped
        .update_person(id, changes, expected_version)
        .await?)
}

/// Sets a new password for someone who lost theirs (administrators; not for
/// themselves). Their sessions end and their API tokens are revoked.
#[tracing::instrument(skip(caller, password))]
pub async fn reset_password(
    caller: &Caller<'_>,
    id: PersonId,
    password: String,
) -> Result<Person, AppError> {
    policy::manage_organization(caller.actor)?;
    let person = caller.scoped.person(id).await?;
    if person.id == caller.actor.person_id {
        return Err(AppError::invalid(
            "password",
            "change your own password with PATCH /api/v1/people/{id} and your current password",
        ));
    }
    let mut errors = ValidationErrors::new();
    let Some(password) = errors.check(
        "password",
        Password::parse_for(&password, &person.email, &[&person.name]),
    ) else {
        return Err(errors.into());
    };
    let hash = hash_password(password).await?;
    Ok(caller.scoped.reset_password(person.id, hash).await?)
}

/// Deactivates a person (administrators, never themselves): they can no
/// longer sign in, and their history stays attributed to them.
#[tracing::instrument(skip(caller))]
pub async fn deactivate(
    caller: &Caller<'_>,
    id: PersonId,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    policy::manage_organization(caller.actor)?;
    if caller.actor.person_id == id {
        return Err(AppError::Conflict {
            field: None,
            detail: "You cannot deactivate yourself; ask another administrator.".to_owned(),
        });
    }
    caller
        .scoped
        .deactivate_person(id, expected_version)
        .await?;
    Ok(())
}
