//! What a provider department delivers: the rules a service definition must
//! satisfy before anyone can raise a request against it.
//!
//! Targets are business minutes on the provider's calendar, so they must be
//! positive and a first response cannot be promised later than fulfilment.
//! Intake fields become the request form, so their keys must be unique and
//! their kinds well-formed.

use crate::ValidationErrors;
use crate::text::Label;

/// How urgent a request is; targets may differ per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        Self::ALL
            .into_iter()
            .find(|priority| priority.as_str() == input.trim())
            .ok_or_else(|| ValidationErrors::single("", "must be one of low, normal, high, urgent"))
    }
}

/// The longest target we accept: a year of round-the-clock business minutes.
pub const MAX_TARGET_MINUTES: i64 = 366 * 24 * 60;

/// First-response and fulfilment targets in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response_minutes: i64,
    pub fulfilment_minutes: i64,
}

impl Targets {
    pub fn new(
        first_response_minutes: i64,
        fulfilment_minutes: i64,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        for (field, value) in [
            ("first_response_minutes", first_response_minutes),
            ("fulfilment_minutes", fulfilment_minutes),
        ] {
            if !(1..=MAX_TARGET_MINUTES).contains(&value) {
                errors.push(
                    field,
                    format!("must be between 1 and {MAX_TARGET_MINUTES} business minutes"),
                );
            }
        }
        if errors.is_empty() && first_response_minutes > fulfilment_minutes {
            errors.push(
                "first_response_minutes",
                "cannot be longer than the fulfilment target",
            );
        }
        errors.finish(|| Self {
            first_response_minutes,
            fulfilment_minutes,
        })
    }
}

/// The kind of value an intake field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    Text,
    LongText,
    Number,
    Date,
    Boolean,
    Choice,
}

impl FieldKind {
    pub const ALL: [FieldKind; 6] = [
        FieldKind::Text,
        FieldKind::LongText,
        FieldKind::Number,
        FieldKind::Date,
        FieldKind::Boolean,
        FieldKind::Choice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::LongText => "long_text",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Boolean => "boolean",
            FieldKind::Choice => "choice",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == input.trim())
            .ok_or_else(|| {
                ValidationErrors::single(
                    "",
                    "must be one of text, long_text, number, date, boolean, choice",
                )
            })
    }
}

/// One question of a service's request form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeField {
    /// A stable machine name (`lead_source`): lower-case letters, digits, underscores.
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    /// The allowed answers of a `choice` field; empty for other kinds.
    pub choices: Vec<String>,
}

/// An intake field as entered.
#[derive(Debug, Clone, Default)]
pub struct IntakeFieldInput {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub choices: Vec<String>,
}

pub const MAX_INTAKE_FIELDS: usize = 40;

/// Validates a service's request form; errors name `[index].part`.
pub fn parse_intake_fields(
    inputs: Vec<IntakeFieldInput>,
) -> Result<Vec<IntakeField>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if inputs.len() > MAX_INTAKE_FIELDS {
        errors.push("", format!("may define at most {MAX_INTAKE_FIELDS} fields"));
    }
    let mut fields = Vec::with_capacity(inputs.len());
    let mut keys: Vec<String> = Vec::new();
    for (index, input) in inputs.into_iter().enumerate() {
        let at = |part: &str| format!("[{index}].{part}");
        let key = input.key.trim().to_owned();
        let key_ok = !key.is_empty()
            && key.len() <= 64
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            errors.push(at("key"), "must start with a lower-case letter and contain only a-z, 0-9 and _ (e.g. lead_source)");
        } else if keys.contains(&key) {
            errors.push(at("key"), format!("{key} is used by another field"));
        }
        keys.push(key.clone());
        let label = errors.check(&at("label"), Label::parse(&input.label));
        let kind = errors.check(&at("kind"), FieldKind::parse(&input.kind));
        let mut choices = Vec::new();
        match kind {
            Some(FieldKind::Choice) => {
                for (choice_index, choice) in input.choices.iter().enumerate() {
                    if let Some(choice) = errors.check(
                        &format!("[{index}].choices[{choice_index}]"),
                        Label::parse(choice),
                    ) {
                        if choices.contains(&choice.as_str().to_owned()) {
                            errors.push(
                                format!("[{index}].choices[{choice_index}]"),
                                "is listed twice",
                            );
                        } else {
                            choices.push(choice.into_string());
                        }
                    }
                }
                if input.choices.len() < 2 {
                    errors.push(at("choices"), "a choice field needs at least two choices");
                }
            }
            Some(_) if !input.choices.is_empty() => {
                errors.push(at("choices"), "only choice fields have choices");
            }
            _ => {}
        }
        if let (Some(label), Some(kind)) = (label, kind) {
            fields.push(IntakeField {
                key,
                label: label.into_string(),
                kind,
                required: input.required,
                choices,
            });
        }
    }
    errors.finish(|| fields)
}

/// The period a volume expectation counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumePeriod {
    Week,
    Month,
    Quarter,
}

impl VolumePeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            VolumePeriod::Week => "week",
            VolumePeriod::Month => "month",
            VolumePeriod::Quarter => "quarter",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationErrors> {
        match input.trim() {
            "week" => Ok(VolumePeriod::Week),
            "month" => Ok(VolumePeriod::Month),
            "quarter" => Ok(VolumePeriod::Quarter),
            _ => Err(ValidationErrors::single(
                "",
                "must be one of week, month, quarter",
            )),
        }
    }
}

/// "200 qualified leads a month".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeExpectation {
    pub quantity: i64,
    pub period: VolumePeriod,
    pub unit: String,
}

impl VolumeExpectation {
    pub fn new(quantity: i64, period: &str, unit: &str) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if !(1..=1_000_000_000).contains(&quantity) {
            errors.push("quantity", "must be a positive whole number");
        }
        let period = errors.check("period", VolumePeriod::parse(period));
        let unit = errors.check("unit", Label::parse(unit));
        match (period, unit) {
            (Some(period), Some(unit)) if errors.is_empty() => Ok(Self {
                quantity,
                period,
                unit: unit.into_string(),
            }),
            _ => Err(errors),
        }
    }
}

/// The share of resolved requests whose requester is asked for a check, 0 to 1.
pub fn parse_sampling_rate(rate: f64) -> Result<f64, ValidationErrors> {
    if rate.is_finite() && (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(ValidationErrors::single("", "must be between 0 and 1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn field(key: &str, kind: &str, choices: &[&str]) -> IntakeFieldInput {
        IntakeFieldInput {
            key: key.to_owned(),
            label: format!("Label {key}"),
            kind: kind.to_owned(),
            required: true,
            choices: choices.iter().map(|choice| (*choice).to_owned()).collect(),
        }
    }

    fn fields_of(errors: ValidationErrors) -> Vec<String> {
        errors.0.into_iter().map(|error| error.field).collect()
    }

    #[test]
    fn targets_are_positive_and_ordered() {
        assert!(Targets::new(60, 480).is_ok());
        assert!(Targets::new(480, 480).is_ok());
        assert_eq!(
            Targets::new(0, -5).err().map(fields_of),
            Some(vec![
                "first_response_minutes".into(),
                "fulfilment_minutes".into()
            ])
        );
        assert_eq!(
            Targets::new(500, 480).err().map(fields_of),
            Some(vec!["first_response_minutes".into()])
        );
        assert!(Targets::new(1, MAX_TARGET_MINUTES + 1).is_err());
    }

    #[test]
    fn intake_fields_are_well_formed() {
        let good = parse_intake_fields(vec![
            field("region", "choice", &["EMEA", "Americas"]),
            field("notes", "long_text", &[]),
        ]);
        assert_eq!(good.map(|fields| fields.len()).ok(), Some(2));
        let bad = parse_intake_fields(vec![
            field("Region", "choice", &["EMEA"]),
            field("size", "number", &["1"]),
            field("size", "colour", &[]),
            field("pick", "choice", &["A", "A", ""]),
        ]);
        assert_eq!(
            bad.err().map(fields_of),
            Some(vec![
                "[0].key".into(),
                "[0].choices".into(),
                "[1].choices".into(),
                "[2].key".into(),
                "[2].kind".into(),
                "[3].choices[1]".into(),
                "[3].choices[2]".into(),
            ])
        );
    }

    #[test]
    fn volume_and_sampling_rate_bounds() {
        assert!(VolumeExpectation::new(200, "month", "qualified leads").is_ok());
        assert_eq!(
            VolumeExpectation::new(0, "year", "").err().map(fields_of),
            Some(vec!["quantity".into(), "period".into(), "unit".into()])
        );
        assert!(parse_sampling_rate(0.0).is_ok() && parse_sampling_rate(1.0).is_ok());
        assert!(parse_sampling_rate(1.01).is_err() && parse_sampling_rate(f64::NAN).is_err());
    }

    proptest! {
        #[test]
        fn accepted_targets_never_promise_response_after_fulfilment(first in -10i64..2_000, full in -10i64..2_000) {
            if let Ok(targets) = Targets::new(first, full) {
                prop_assert!(targets.first_response_minutes >= 1);
                prop_assert!(targets.first_response_minutes <= targets.fulfilment_minutes);
            }
        }
    }
}
