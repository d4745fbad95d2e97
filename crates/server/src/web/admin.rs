//! Administration pages: people and departments (administrators), and each
//! person's own API tokens. Reads and writes are the use cases of
//! `app::people`, `app::departments` and `app::tokens`, the same the API
//! calls, so the same policy and validation apply.

use super::directory::Directory;
use super::format::instant;
use super::{
    ActionError, FieldErrors, FormData, Layout, PageId, SignedForm, Viewer, WebError, after_action,
    first_view, render, see_other,
};
use crate::AppState;
use crate::policy;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roundtable_app::Caller;
use roundtable_app::departments::{self, DepartmentInput};
use roundtable_app::people::{self, PersonEdit, PersonInput};
use roundtable_app::tokens::{self, TokenRequest};
use roundtable_domain::ids::{PersonId, TokenId};
use roundtable_domain::people::Role;
use roundtable_store::people::PeopleFilter;

#[derive(Debug, Clone)]
pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub title: String,
    pub department: String,
    pub role: String,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Template)]
#[template(path = "admin_people.html")]
pub struct PeoplePage {
    layout: Layout,
    people: Vec<PersonRow>,
    departments: Vec<Choice>,
    form: FormData,
    errors: FieldErrors,
    message: Option<String>,
}

fn department_choices(directory: &Directory) -> Vec<Choice> {
    directory
        .departments
        .iter()
        .map(|department| Choice {
            value: department.id.0.to_string(),
            label: department.name.clone(),
        })
        .collect()
}

async fn people_page(
    state: &AppState,
    viewer: &Viewer,
    form: FormData,
    failed: ActionError,
) -> Result<PeoplePage, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let directory = Directory::load(&state.scoped(&viewer.actor)).await?;
    let mut people = people::all(
        &Caller::new(&state.store, &viewer.actor),
        PeopleFilter::default(),
    )
    .await?;
    people.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(PeoplePage {
        layout: Layout::new(viewer, "People", "admin"),
        people: people
            .into_iter()
            .map(|person| PersonRow {
                id: person.id.0,
                department: person
                    .department_id
                    .map(|department| directory.department_name(department.0))
                    .unwrap_or_else(|| "none".to_owned()),
                name: person.name,
                email: person.email,
                title: person.title.unwrap_or_default(),
                role: person.role.as_str().to_owned(),
                active: person.active,
            })
            .collect(),
        departments: department_choices(&directory),
        form,
        errors: failed.errors,
        message: failed.message,
    })
}

/// `GET /admin/people`.
pub async fn show_people(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        people_page(&state, &viewer, form, failed).await
    })
    .await
}

/// `POST /admin/people`: adds a person.
pub async fn add_person(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let input = PersonInput {
        email: form.get("email").trim().to_owned(),
        name: form.get("name").to_owned(),
        title: form.optional("title"),
        department_id: form.get("department_id").parse::<i64>().ok(),
        role: form.optional("role"),
        password: form.optional("password"),
    };
    let outcome = people::add(&Caller::new(&state.store, &viewer.actor), input).await;
    after_action(
        outcome,
        "person",
        "this person",
        "/admin/people",
        async |failed| people_page(&state, &viewer, form, failed).await,
    )
    .await
}

#[derive(Debug, Clone)]
pub struct DepartmentRow {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub parent: String,
    pub leads: String,
    pub customer_facing: bool,
}

#[derive(Debug, Template)]
#[template(path = "admin_departments.html")]
pub struct DepartmentsPage {
    layout: Layout,
    departments: Vec<DepartmentRow>,
    parents: Vec<Choice>,
    form: FormData,
    errors: FieldErrors,
    message: Option<String>,
}

async fn departments_page(
    state: &AppState,
    viewer: &Viewer,
    form: FormData,
    failed: ActionError,
) -> Result<DepartmentsPage, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let scoped = state.scoped(&viewer.actor);
    let directory = Directory::load(&scoped).await?;
    Ok(DepartmentsPage {
        layout: Layout::new(viewer, "Departments", "admin"),
        departments: directory
            .departments
            .iter()
            .map(|department| DepartmentRow {
                id: department.id.0,
                name: department.name.clone(),
                slug: department.slug.clone(),
                parent: department
                    .parent_id
                    .map(|parent| directory.department_name(parent.0))
                    .unwrap_or_default(),
                leads: department
                    .lead_ids
                    .iter()
                    .map(|lead| directory.person_name(Some(lead.0)))
                    .collect::<Vec<_>>()
                    .join(", "),
                customer_facing: department.customer_facing,
            })
            .collect(),
        parents: department_choices(&directory),
        form,
        errors: failed.errors,
        message: failed.message,
    })
}

/// `GET /admin/departments`.
pub async fn show_departments(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    first_view(FormData::default(), async |form, failed| {
        departments_page(&state, &viewer, form, failed).await
    })
    .await
}

/// `POST /admin/departments`: adds a department.
pub async fn add_department(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let input = DepartmentInput {
        name: form.get("name").to_owned(),
        slug: form.optional("slug"),
        parent_id: form.get("parent_id").parse::<i64>().ok(),
        calendar_id: None,
        customer_facing: form.has("customer_facing"),
        lead_ids: Vec::new(),
    };
    let outcome = departments::create(&Caller::new(&state.store, &viewer.actor), input).await;
    after_action(
        outcome,
        "department",
        "this department",
        "/admin/departments",
        async |failed| departments_page(&state, &viewer, form, failed).await,
    )
    .await
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub revoked: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "tokens.html")]
pub struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenRow>,
    /// A token just created: shown once, never again.
    created: Option<String>,
    form: FormData,
    errors: FieldErrors,
}

async fn tokens_page(
    state: &AppState,
    viewer: &Viewer,
    created: Option<String>,
    form: FormData,
    errors: FieldErrors,
) -> Result<TokensPage, WebError> {
    let tokens = tokens::list(&Caller::new(&state.store, &viewer.actor)).await?;
    Ok(TokensPage {
        layout: Layout::new(viewer, "API tokens", "tokens"),
        tokens: tokens
            .into_iter()
            .rev()
            .map(|token| TokenRow {
                id: token.id.0,
                name: token.name,
                created: instant(&token.created_at.to_string()),
                expires: token
                    .expires_at
                    .map(|at| instant(&at.to_string()))
                    .unwrap_or_else(|| "never".to_owned()),
                revoked: token.revoked_at.map(|at| instant(&at.to_string())),
            })
            .collect(),
        created,
        form,
        errors,
    })
}

/// `GET /tokens`: the viewer's API tokens.
pub async fn show_tokens(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let page = tokens_page(
        &state,
        &viewer,
        None,
        FormData::default(),
        FieldErrors::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /tokens`: issues a token and shows its secret this once.
pub async fn add_token(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let expires = form.get("expires_in_days").trim();
    let expires_in_days = if expires.is_empty() {
        Ok(None)
    } else {
        expires
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::invalid("expires_in_days", "must be a whole number of days"))
    };
    let outcome = match expires_in_days {
        // A page is a browser session, never a token: no grant limits it.
        Ok(expires_in_days) => tokens::issue(
            &Caller::new(&state.store, &viewer.actor),
            TokenRequest {
                name: form.get("name").to_owned(),
                expires_in_days,
                person_id: None,
                scopes: None,
            },
            None,
        )
        .await
        .map(|issued| issued.secret)
        .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(secret) => {
            let page = tokens_page(
                &state,
                &viewer,
                Some(secret),
                FormData::default(),
                FieldErrors::default(),
            )
            .await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(ApiError::Validation(errors)) => {
            let page = tokens_page(&state, &viewer, None, form, errors.into()).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, .. }: SignedForm,
) -> Result<Response, WebError> {
    tokens::revoke(&Caller::new(&state.store, &viewer.actor), TokenId(id)).await?;
    Ok(see_other("/tokens"))
}

/// Whether the viewer sees the administration entries of the navigation.
pub fn administers(role: Role) -> bool {
    role == Role::Admin
}

#[derive(Debug, Template)]
#[template(path = "admin_person.html")]
pub struct PersonPage {
    layout: Layout,
    id: i64,
    email: String,
    version: i64,
    departments: Vec<Choice>,
    /// The form's values: the stored person's, or those sent.
    form: FormData,
    errors: FieldErrors,
    message: Option<String>,
}

async fn person_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    sent: Option<FormData>,
    failed: ActionError,
) -> Result<PersonPage, WebError> {
    policy::manage_organization(&viewer.actor)?;
    let caller = Caller::new(&state.store, &viewer.actor);
    let person = people::get(&caller, PersonId(id)).await?;
    let directory = Directory::load(&caller.scoped).await?;
    let form = sent.unwrap_or_else(|| {
        let mut fields = vec![
            ("name".to_owned(), person.name.clone()),
            ("title".to_owned(), person.title.clone().unwrap_or_default()),
            (
                "department_id".to_owned(),
                person
                    .department_id
                    .map(|department| department.0.to_string())
                    .unwrap_or_default(),
            ),
            ("role".to_owned(), person.role.as_str().to_owned()),
        ];
        if person.active {
            fields.push(("active".to_owned(), "true".to_owned()));
        }
        FormData(fields)
    });
    Ok(PersonPage {
        layout: Layout::new(viewer, person.name.clone(), "admin"),
        id,
        email: person.email,
        version: person.version,
        departments: department_choices(&directory),
        form,
        errors: failed.errors,
        message: failed.message,
    })
}

/// `GET /admin/people/{id}`: a person's details to change.
pub async fn show_person(
    State(state): State<AppState>,
    viewer: Viewer,
    PageId(id): PageId,
) -> Result<Response, WebError> {
    let page = person_page(&state, &viewer, id, None, ActionError::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /admin/people/{id}`: changes a person (role, department, active…).
pub async fn change_person(
    State(state): State<AppState>,
    PageId(id): PageId,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let edit = PersonEdit {
        email: None,
        name: Some(form.get("name").to_owned()),
        title: Some(form.optional("title")),
        department_id: Some(form.get("department_id").parse::<i64>().ok()),
        role: Some(form.get("role").to_owned()),
        active: Some(form.has("active")),
        password: None,
        current_password: None,
        signed_in_recently: false,
    };
    let outcome = people::update(
        &Caller::new(&state.store, &viewer.actor),
        PersonId(id),
        edit,
        version,
    )
    .await;
    after_action(
        outcome,
        "person",
        "this person",
        "/admin/people",
        async |failed| person_page(&state, &viewer, id, Some(form), failed).await,
    )
    .await
}
