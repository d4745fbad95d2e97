//! The test application: the real server on port 0 against a fresh database
//! (SQLite or PostgreSQL, per the run), spoken to over real HTTP, with two
//! organizations and ready-made people per role.

use reqwest::{Method, Response, StatusCode};
use roundtable_domain::credentials::{Password, TokenKind, issue_token};
use roundtable_domain::ids::{OrganizationId, PersonId};
use roundtable_domain::people::Role;
use roundtable_domain::text::{Email, Label, Slug};
use roundtable_server::{App, ServerConfig};
use roundtable_store::Store;
use roundtable_store::people::NewPerson;
use roundtable_testkit::TestDatabase;
use serde_json::Value;
use std::sync::OnceLock;

pub const PASSWORD: &str = "correct horse battery";

/// A person of a test organization with an API token.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct User {
    pub id: PersonId,
    pub organization: OrganizationId,
    pub email: String,
    pub token: String,
}

#[derive(Debug)]
#[allow(dead_code)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// Organization "acme".
    pub admin: User,
    pub lead: User,
    pub member: User,
    /// An administrator of another organization, "globex".
    pub outsider: User,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _database: TestDatabase,
}

/// Argon2 is slow on purpose; one hash serves every test person.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        Password::parse(PASSWORD)
            .ok()
            .and_then(|password| password.hash().ok())
            .unwrap_or_default()
    })
    .clone()
}

async fn add_user(store: &Store, organization: OrganizationId, email: &str, role: Role) -> User {
    add_user_in(store, organization, email, role, None).await
}

async fn add_user_in(
    store: &Store,
    organization: OrganizationId,
    email: &str,
    role: Role,
    department: Option<roundtable_domain::ids::DepartmentId>,
) -> User {
    let scoped = store.scoped(organization);
    let person = scoped
        .create_person(NewPerson {
            email: Email::parse(email).expect("valid email"),
            name: Label::parse(&format!("{role} of test")).expect("valid name"),
            title: None,
            department_id: department,
            role,
            password_hash: Some(password_hash()),
        })
        .await
        .expect("create person");
    let token = issue_token(TokenKind::Api);
    scoped
        .create_api_token(
            person.id,
            "test".to_owned(),
            token.digest.clone(),
            None,
            roundtable_domain::credentials::TokenScopes::ALL,
        )
        .await
        .expect("create token");
    User {
        id: person.id,
        organization,
        email: email.to_owned(),
        token: token.secret.expose().to_owned(),
    }
}

impl TestApp {
    /// The application as the tests use it: private webhook targets
    /// allowed, since the tests' receivers listen on 127.0.0.1.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(ServerConfig {
            allow_private_webhooks: true,
            ..ServerConfig::default()
        })
        .await
    }

    pub async fn spawn_with(config: ServerConfig) -> TestApp {
        Self::spawn_at(ServerConfig {
            bind: "127.0.0.1:0".to_owned(),
            ..config
        })
        .await
    }

    /// Like `spawn_with`, on the address `config.bind` names (a test that
    /// must tell another server this one's address before it starts).
    pub async fn spawn_at(config: ServerConfig) -> TestApp {
        let database = TestDatabase::create().await;
        let store = database.store().await;
        let acme = store
            .create_organization(
                Slug::parse("acme").expect("slug"),
                Label::parse("Acme").expect("name"),
            )
            .await
            .expect("create acme");
        let globex = store
            .create_organization(
                Slug::parse("globex").expect("slug"),
                Label::parse("Globex").expect("name"),
            )
            .await
            .expect("create globex");
        let admin = add_user(&store, acme.id, "admin@acme.test", Role::Admin).await;
        let lead = add_user(&store, acme.id, "lead@acme.test", Role::Lead).await;
        let member = add_user(&store, acme.id, "member@acme.test", Role::Member).await;
        let outsider = add_user(&store, globex.id, "admin@globex.test", Role::Admin).await;

        let app = App::build(config, store.clone()).await.expect("bind");
        let address = format!("http://{}", app.local_addr().expect("address"));
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        TestApp {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            store,
            admin,
            lead,
            member,
            outsider,
            shutdown: Some(shutdown),
            _database: database,
        }
    }

    /// A second store on the same database: another "instance" of the application.
    pub async fn another_instance_store(&self) -> Store {
        self._database.store().await
    }

    /// Another person of organization "acme" with an API token.
    pub async fn add_user(&self, email: &str, role: Role) -> User {
        add_user(&self.store, self.admin.organization, email, role).await
    }

    /// Another person of "acme", in a department.
    pub async fn add_member_of(&self, email: &str, role: Role, department: i64) -> User {
        add_user_in(
            &self.store,
            self.admin.organization,
            email,
            role,
            Some(roundtable_domain::ids::DepartmentId(department)),
        )
        .await
    }

    /// Another member (the role) of "acme", in a department.
    pub async fn add_member(&self, email: &str, department: i64) -> User {
        self.add_member_of(email, Role::Member, department).await
    }

    /// Another person of any organization, optionally in a department.
    pub async fn add_user_to(
        &self,
        organization: OrganizationId,
        email: &str,
        role: Role,
        department: Option<i64>,
    ) -> User {
        add_user_in(
            &self.store,
            organization,
            email,
            role,
            department.map(roundtable_domain::ids::DepartmentId),
        )
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn request(
        &self,
        method: Method,
        user: Option<&User>,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match user {
            Some(user) => builder.bearer_auth(&user.token),
            None => builder,
        }
    }

    /// Signs in through the API with `body` (email, password, perhaps the
    /// organization), sending no credentials.
    pub async fn log_in(&self, body: &Value) -> Response {
        self.request(Method::POST, None, "/api/v1/auth/login")
            .json(body)
            .send()
            .await
            .expect("POST /api/v1/auth/login")
    }

    /// `GET /api/v1/me` with `token` as the bearer.
    pub async fn me_with_token(&self, token: &str) -> Response {
        self.request(Method::GET, None, "/api/v1/me")
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /api/v1/me")
    }

    /// The matrix cell from `provider` to `consumer` as the admin reads it now.
    pub async fn matrix_cell(&self, provider: i64, consumer: i64) -> Value {
        let matrix = self.read(&self.admin, "/api/v1/matrix").await;
        matrix["cells"]
            .as_array()
            .expect("the matrix's cells")
            .iter()
            .find(|cell| {
                cell["provider_department_id"] == provider
                    && cell["consumer_department_id"] == consumer
            })
            .cloned()
            .unwrap_or_else(|| panic!("no cell from {provider} to {consumer}"))
    }

    pub async fn get(&self, user: &User, path: &str) -> Response {
        self.request(Method::GET, Some(user), path)
            .send()
            .await
            .expect("GET")
    }

    pub async fn post(&self, user: &User, path: &str, body: &Value) -> Response {
        self.request(Method::POST, Some(user), path)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn patch(&self, user: &User, path: &str, version: i64, body: &Value) -> Response {
        self.request(Method::PATCH, Some(user), path)
            .header("If-Match", format!("\"{version}\""))
            .json(body)
            .send()
            .await
            .expect("PATCH")
    }

    /// PATCHes with `if_match` as the If-Match header as given, or with none:
    /// for tests of the header itself.
    pub async fn patch_if_match(
        &self,
        user: &User,
        path: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let builder = self.request(Method::PATCH, Some(user), path).json(body);
        match if_match {
            Some(value) => builder.header("If-Match", value),
            None => builder,
        }
        .send()
        .await
        .expect("PATCH")
    }

    pub async fn delete(&self, user: &User, path: &str) -> Response {
        self.request(Method::DELETE, Some(user), path)
            .send()
            .await
            .expect("DELETE")
    }

    /// GETs `path` as `user`, expects 200 and returns the JSON.
    pub async fn read(&self, user: &User, path: &str) -> Value {
        expect_status(self.get(user, path).await, StatusCode::OK).await
    }

    /// POSTs `body` to `path` as `user`, expects 201 and returns the JSON.
    pub async fn create(&self, user: &User, path: &str, body: &Value) -> Value {
        self.post_expecting(user, path, body, StatusCode::CREATED)
            .await
    }

    /// POSTs `body` to `path` as `user`, expects `status` and returns the JSON.
    pub async fn post_expecting(
        &self,
        user: &User,
        path: &str,
        body: &Value,
        status: StatusCode,
    ) -> Value {
        expect_status(self.post(user, path, body).await, status).await
    }

    /// As the admin: reads the record at `path` for its version, PATCHes
    /// `changes` onto that version, expects 200 and returns the JSON.
    pub async fn admin_edit(&self, path: &str, changes: &Value) -> Value {
        let current = self.read(&self.admin, path).await;
        let changed = self
            .patch(&self.admin, path, version_of(&current), changes)
            .await;
        expect_status(changed, StatusCode::OK).await
    }

    /// Asserts that `user` may neither create in `collection` nor change nor
    /// delete the record at `record` (403 each), trying the name "Mine".
    pub async fn assert_may_not_write(&self, user: &User, collection: &str, record: &str) {
        let mine = serde_json::json!({ "name": "Mine" });
        self.post_expecting(user, collection, &mine, StatusCode::FORBIDDEN)
            .await;
        expect_status(
            self.patch(user, record, 1, &mine).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        expect_status(self.delete(user, record).await, StatusCode::FORBIDDEN).await;
    }

    /// Changes the organization's settings as the admin.
    pub async fn set_organization(&self, changes: &Value) -> Value {
        self.admin_edit("/api/v1/organization", changes).await
    }

    /// Makes `leads` the leads of `department` (replacing any).
    pub async fn set_leads(&self, department: i64, leads: &[&User]) {
        let ids: Vec<i64> = leads.iter().map(|lead| lead.id.0).collect();
        self.admin_edit(
            &format!("/api/v1/departments/{department}"),
            &serde_json::json!({ "lead_ids": ids }),
        )
        .await;
    }

    /// Moves request `id` to the workflow step `to` as `user`, expecting 200.
    pub async fn step(&self, user: &User, id: i64, to: &str) {
        let path = format!("/api/v1/requests/{id}/transitions");
        let moved = self
            .post(user, &path, &serde_json::json!({ "to": to }))
            .await;
        expect_status(moved, StatusCode::OK).await;
    }

    /// A request's events (its timeline) as `user` reads them.
    pub async fn events(&self, user: &User, request: &Value) -> Value {
        self.read(user, &format!("/api/v1/requests/{}/events", id_of(request)))
            .await
    }

    /// Creates a department as the admin and returns its JSON.
    pub async fn department(&self, name: &str) -> Value {
        self.create(
            &self.admin,
            "/api/v1/departments",
            &serde_json::json!({ "name": name }),
        )
        .await
    }

    /// A new lead of the department (in it, and named among its leads).
    pub async fn lead_of(&self, email: &str, department: i64) -> User {
        let lead = self.add_member_of(email, Role::Lead, department).await;
        let path = format!("/api/v1/departments/{department}");
        let current = self.read(&self.admin, &path).await;
        let mut leads: Vec<i64> = current["lead_ids"]
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        leads.push(lead.id.0);
        let version = current["version"].as_i64().expect("department version");
        let changed = self
            .patch(
                &self.admin,
                &path,
                version,
                &serde_json::json!({ "lead_ids": leads }),
            )
            .await;
        expect_status(changed, StatusCode::OK).await;
        lead
    }

    /// Creates, as the admin, a calendar in UTC open round the clock, every
    /// day of the week ("Always"), and returns its JSON.
    pub async fn always_open_calendar(&self) -> Value {
        let every_day = serde_json::json!([{ "start": "00:00", "end": "24:00" }]);
        let calendar = serde_json::json!({
            "name": "Always", "time_zone": "UTC",
            "working_hours": { "monday": every_day, "tuesday": every_day, "wednesday": every_day, "thursday": every_day,
                               "friday": every_day, "saturday": every_day, "sunday": every_day }
        });
        self.create(&self.admin, "/api/v1/calendars", &calendar)
            .await
    }

    /// Creates a department on `calendar` as the admin and returns its JSON.
    pub async fn department_on(&self, name: &str, calendar: &Value) -> Value {
        let department = serde_json::json!({ "name": name, "calendar_id": id_of(calendar) });
        self.create(&self.admin, "/api/v1/departments", &department)
            .await
    }

    /// Creates, as the admin, the service "Qualified leads" from `provider`
    /// to `consumer` (60 minutes to respond, 600 to fulfil) with the fields
    /// of `more` besides, and returns its JSON.
    pub async fn qualified_leads(&self, provider: &Value, consumer: &Value, more: Value) -> Value {
        let mut service = serde_json::json!({
            "provider_department_id": id_of(provider), "consumer_department_ids": [id_of(consumer)],
            "name": "Qualified leads", "first_response_minutes": 60, "fulfilment_minutes": 600
        });
        let (Some(fields), Value::Object(more)) = (service.as_object_mut(), more) else {
            panic!("the service's further fields must be a JSON object");
        };
        fields.extend(more);
        self.create(&self.admin, "/api/v1/services", &service).await
    }

    /// Creates a valid calendar as the admin and returns its JSON.
    pub async fn calendar(&self, name: &str) -> Value {
        let response = self
            .post(&self.admin, "/api/v1/calendars", &weekday_calendar(name))
            .await;
        expect_status(response, StatusCode::CREATED).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

pub fn weekday_calendar(name: &str) -> Value {
    let day = serde_json::json!([{ "start": "09:00", "end": "12:30" }, { "start": "13:30", "end": "17:30" }]);
    serde_json::json!({
        "name": name,
        "time_zone": "Europe/Berlin",
        "working_hours": { "monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day },
        "holidays": [{ "date": "2026-12-25", "name": "Christmas Day" }]
    })
}

/// A request of normal priority, for no service, to `provider` from
/// `requester`, with targets of (first response, fulfilment) minutes: for
/// tests that create (backdated) requests through the store.
pub fn new_request(
    provider: i64,
    requester: &User,
    title: &str,
    (first_response, fulfilment): (i64, i64),
) -> roundtable_store::requests::NewRequest {
    roundtable_store::requests::NewRequest {
        service_id: None,
        provider_department_id: roundtable_domain::ids::DepartmentId(provider),
        requester_person_id: requester.id,
        title: title.to_owned(),
        description: String::new(),
        intake_values: "{}".to_owned(),
        priority: roundtable_domain::services::Priority::Normal,
        external_impact: roundtable_domain::clocks::ExternalImpact::None,
        external_reference: None,
        segment_id: None,
        targets: roundtable_domain::services::Targets::new(first_response, fulfilment)
            .expect("targets"),
    }
}

/// Asserts the status, and that errors are problem details; returns the JSON body.
pub async fn expect_status(response: Response, expected: StatusCode) -> Value {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("body");
    assert_eq!(status, expected, "unexpected status; body: {text}");
    if status.is_client_error() || status.is_server_error() {
        assert!(
            content_type.starts_with("application/problem+json"),
            "error without problem details ({content_type}): {text}"
        );
    }
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
    }
}

/// A response header's value as text ("" when absent or not text).
pub fn header_text(response: &Response, name: impl reqwest::header::AsHeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The values of a response's Set-Cookie headers.
pub fn set_cookies(response: &Response) -> impl Iterator<Item = &str> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
}

/// The kinds of a request's events, in order.
pub fn event_kinds(events: &Value) -> Vec<&str> {
    events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["kind"].as_str())
        .collect()
}

/// Asserts that a `GET /api/v1/me` answered 200 for `user`.
pub async fn assert_me(response: Response, user: &User) {
    let me = expect_status(response, StatusCode::OK).await;
    assert_eq!(me["person_id"], user.id.0, "{me}");
}

/// The fields a validation problem names.
pub fn problem_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {value}"))
}

pub fn version_of(value: &Value) -> i64 {
    value["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version in {value}"))
}
