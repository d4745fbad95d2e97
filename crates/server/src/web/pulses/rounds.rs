//! The list of pulse rounds, and opening a new one.

use super::*;

/// A round as a line of the list.
#[derive(Debug, Clone)]
pub struct RoundRow {
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub opens: String,
    pub closes: String,
    pub cells: usize,
    /// For an open round: how many cells the viewer is asked about, and has answered.
    pub asked: usize,
    pub answered: usize,
    pub open: bool,
}

impl RoundRow {
    pub(super) fn new(round: &PulseRound, invitations: &[PulseInvitation], now: Timestamp) -> Self {
        let status = round.status(now);
        let (label, tone) = round_status(status);
        RoundRow {
            id: round.id,
            name: round.name.clone(),
            status: label,
            tone,
            opens: instant(&round.opens_at.to_string()),
            closes: instant(&round.closing().to_string()),
            cells: round.cells.len(),
            asked: invitations.len(),
            answered: invitations
                .iter()
                .filter(|invitation| invitation.answered)
                .count(),
            open: status == RoundStatus::Open,
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "pulses.html")]
pub struct PulsesPage {
    pub(super) layout: Layout,
    pub(super) rounds: Vec<RoundRow>,
    pub(super) next: Option<String>,
    /// Administrators and executives open and close rounds.
    pub(super) runs_rounds: bool,
    pub(super) form: FormData,
    pub(super) errors: FieldErrors,
}

#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    pub(super) cursor: Option<String>,
}

pub(super) async fn pulses_page(
    state: &AppState,
    viewer: &Viewer,
    cursor: Option<String>,
    form: FormData,
    errors: FieldErrors,
) -> Result<PulsesPage, WebError> {
    let wanted = PageQuery {
        limit: Some(50),
        cursor,
    }
    .to_page()
    .map_err(|_| WebError::NotFound)?;
    let page = pulses::list(&Caller::new(&state.store, &viewer.actor), wanted).await?;
    let scoped = state.scoped(&viewer.actor);
    let now = Timestamp::now();
    let mut rounds = Vec::new();
    for round in &page.items {
        let invitations = if round.status(now) == RoundStatus::Open {
            scoped
                .pulse_invitations(round, viewer.actor.person_id)
                .await?
        } else {
            Vec::new()
        };
        rounds.push(RoundRow::new(round, &invitations, now));
    }
    Ok(PulsesPage {
        layout: Layout::new(viewer, "Relationship pulses", "pulses"),
        rounds,
        next: page.next_after.map(encode_cursor).map(|cursor| {
            format!(
                "/pulses?cursor={}",
                form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
            )
        }),
        runs_rounds: sees_everything(&viewer.actor),
        form,
        errors,
    })
}

/// `GET /pulses`: every round, newest first, with what the viewer is asked.
pub async fn list_pulses(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let page = pulses_page(
        &state,
        &viewer,
        query.cursor,
        FormData::default(),
        FieldErrors::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /pulses`: opens a round over every agreed cell now, through
/// `POST /api/v1/pulses` (administrators and executives).
pub async fn open_round(
    State(state): State<AppState>,
    SignedForm { viewer, form }: SignedForm,
) -> Result<Response, WebError> {
    let closes_at = match reader_instant(form.get("closes_at")) {
        Some(closes_at) => closes_at,
        None => {
            let errors = FieldErrors::single("closes_at", "enter the closing date and time");
            let page = pulses_page(&state, &viewer, None, form, errors).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let created = pulses::open(
        &Caller::new(&state.store, &viewer.actor),
        NewRound {
            name: form.get("name").to_owned(),
            opens_at: None,
            closes_at,
            cells: None,
        },
    )
    .await
    .map_err(ApiError::from);
    match created {
        Ok(_) => {
            let listing = state
                .scoped(&viewer.actor)
                .pulse_rounds(roundtable_store::PageRequest::first(1))
                .await?;
            let newest = listing.items.first().map_or(0, |round| round.id);
            Ok(see_other(&format!("/pulses/{newest}")))
        }
        Err(error) => {
            // The form has no place for a message of its own: a refusal
            // that names no field shows at the round's name.
            let refusal = Refusal::of(error, "the pulse rounds")?;
            let errors = if refusal.errors.is_empty() {
                FieldErrors::single("name", refusal.message)
            } else {
                refusal.errors
            };
            let page = pulses_page(&state, &viewer, None, form, errors).await?;
            Ok(render(refusal.status, &page))
        }
    }
}
