//! Who plays the story: each department's lead and members, read from the
//! store, and the two quarters (past and current) the story is set in.

use super::*;

/// People of one department: its lead and its other members.
#[derive(Debug, Clone, Default)]
pub(super) struct Staff {
    pub(super) department: Option<DepartmentId>,
    pub(super) lead: Option<PersonId>,
    pub(super) members: Vec<PersonId>,
}

impl Staff {
    pub(super) fn anyone(&self, random: &mut ChaCha8Rng) -> Option<PersonId> {
        if self.members.is_empty() {
            return self.lead;
        }
        let index = random.random_range(0..self.members.len());
        self.members.get(index).copied()
    }
}

pub(super) struct Cast {
    pub(super) staff: HashMap<&'static str, Staff>,
    pub(super) executive: Option<PersonId>,
}

impl Cast {
    pub(super) fn department(&self, slug: &str) -> Option<DepartmentId> {
        self.staff.get(slug).and_then(|staff| staff.department)
    }

    pub(super) fn lead(&self, slug: &str) -> Option<PersonId> {
        self.staff.get(slug).and_then(|staff| staff.lead)
    }

    pub(super) fn anyone(&self, slug: &str, random: &mut ChaCha8Rng) -> Option<PersonId> {
        self.staff.get(slug).and_then(|staff| staff.anyone(random))
    }
}

pub(super) const SLUGS: [&str; 8] = [
    "executive-office",
    "sales",
    "marketing",
    "customer-service",
    "finance",
    "operations",
    "it",
    "people-and-culture",
];

pub(super) async fn cast(
    scoped: &Scoped<'_>,
    led: &HashMap<&'static str, (DepartmentId, PersonId)>,
) -> Result<Cast, DemoError> {
    let mut staff = HashMap::new();
    let mut executive = None;
    for slug in SLUGS {
        let Some((department, lead)) = led.get(slug).copied() else {
            continue;
        };
        let people = crate::active_people(scoped, department).await?;
        if executive.is_none() {
            executive = people
                .iter()
                .find(|person| person.role == Role::Executive)
                .map(|person| person.id);
        }
        let members = people
            .iter()
            .filter(|person| person.id != lead && person.role != Role::Admin)
            .map(|person| person.id)
            .collect();
        staff.insert(
            slug,
            Staff {
                department: Some(department),
                lead: Some(lead),
                members,
            },
        );
    }
    Ok(Cast { staff, executive })
}

/// The quarter containing `day`, and the one before it.
pub(super) fn quarters(day: Date) -> Result<(Period, Period), DemoError> {
    let quarter = (day.month() - 1) / 3 + 1;
    let current = Period::parse(&format!("{}-Q{quarter}", day.year()))?;
    let previous_day = current.start().yesterday().map_err(|_| {
        DemoError::Invalid(roundtable_domain::ValidationErrors::single(
            "period",
            "out of range",
        ))
    })?;
    let previous_quarter = (previous_day.month() - 1) / 3 + 1;
    let previous = Period::parse(&format!("{}-Q{previous_quarter}", previous_day.year()))?;
    Ok((previous, current))
}
