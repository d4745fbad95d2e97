//! Transactional satisfaction checks: whether to ask a requester "did this meet
//! your expectation?" when their request is resolved, and what an answer is
//! worth.
//!
//! The sampling decision is a pure function of the request and an
//! organization secret: re-running it gives the same answer (so a retried
//! resolution never asks twice and an auditor can reproduce every decision),
//! yet nobody without the secret can predict which requests will be asked.
//! Fatigue and "nobody rates their own work" are rules on top of the draw.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

/// Nobody is asked more than once per this many days, by default.
pub const DEFAULT_FATIGUE_DAYS: i64 = 7;
/// A check not answered within this many days expires.
pub const EXPIRY_DAYS: i64 = 14;

/// The requester's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckAnswer {
    Met,
    Partly,
    NotMet,
}

impl CheckAnswer {
    pub const ALL: [CheckAnswer; 3] = [CheckAnswer::Met, CheckAnswer::Partly, CheckAnswer::NotMet];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckAnswer::Met => "met",
            CheckAnswer::Partly => "partly",
            CheckAnswer::NotMet => "not_met",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|answer| answer.as_str() == text)
    }

    /// The answer's worth in the satisfaction component of health.
    pub fn score(self) -> i64 {
        match self {
            CheckAnswer::Met => 100,
            CheckAnswer::Partly => 50,
            CheckAnswer::NotMet => 0,
        }
    }
}

/// The optional 1–5 rating that may accompany an answer.
pub fn validate_rating(rating: i64) -> Result<i64, String> {
    if (1..=5).contains(&rating) {
        Ok(rating)
    } else {
        Err("must be a whole number from 1 to 5".to_owned())
    }
}

/// A uniform draw in `[0, 1)` derived from the organization's secret and the
/// request: the same inputs always give the same draw.
pub fn sampling_draw(secret: &str, request_id: i64) -> f64 {
    let mut hasher = Sha256::new();
    hasher.update(b"roundtable check sampling\0");
    hasher.update(secret.as_bytes());
    hasher.update(b"\0");
    hasher.update(request_id.to_le_bytes());
    let digest = hasher.finalize();
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 53 bits: exactly representable, uniform over [0, 1).
    (u64::from_le_bytes(first) >> 11) as f64 / (1_u64 << 53) as f64
}

/// Whether a draw falls inside a sampling rate (0 never, 1 always).
pub fn sampled(draw: f64, rate: f64) -> bool {
    draw < rate
}

/// Everything the decision to ask looks at.
#[derive(Debug, Clone, Copy)]
pub struct CheckDecisionInput {
    /// The service's sampling rate, 0 to 1.
    pub rate: f64,
    /// [`sampling_draw`] for this request.
    pub draw: f64,
    /// Whether the person who resolved the request is its requester.
    pub resolved_by_requester: bool,
    /// Whether this request was already checked (a check exists for it).
    pub already_checked: bool,
    /// When the requester was last asked about any request, if ever.
    pub requester_last_asked_at: Option<Timestamp>,
    pub fatigue_days: i64,
    pub now: Timestamp,
}

/// Why a resolution did not produce a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    AlreadyChecked,
    OwnWork,
    NotSampled,
    Fatigue,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::AlreadyChecked => "already_checked",
            SkipReason::OwnWork => "own_work",
            SkipReason::NotSampled => "not_sampled",
            SkipReason::Fatigue => "fatigue",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckDecision {
    /// Ask, and let the check expire at this instant.
    Ask {
        expires_at: Timestamp,
    },
    Skip(SkipReason),
}

/// Decides whether to ask. The order matters only for the reason reported:
/// a request is checked at most once, nobody rates their own work, the draw
/// decides, and the fatigue cap spares people asked recently.
pub fn decide(input: &CheckDecisionInput) -> CheckDecision {
    if input.already_checked {
        return CheckDecision::Skip(SkipReason::AlreadyChecked);
    }
    if input.resolved_by_requester {
        return CheckDecision::Skip(SkipReason::OwnWork);
    }
    if !sampled(input.draw, input.rate) {
        return CheckDecision::Skip(SkipReason::NotSampled);
    }
    if let Some(last) = input.requester_last_asked_at {
        let rested = input.now.duration_since(last) >= days(input.fatigue_days);
        if !rested {
            return CheckDecision::Skip(SkipReason::Fatigue);
        }
    }
    CheckDecision::Ask {
        expires_at: input
            .now
            .saturating_add(days(EXPIRY_DAYS))
            .unwrap_or(input.now),
    }
}

fn days(count: i64) -> SignedDuration {
    SignedDuration::from_hours(count.saturating_mul(24))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn instant(text: &str) -> Timestamp {
        text.parse()
            .unwrap_or_else(|error| panic!("bad instant {text}: {error}"))
    }

    fn input(rate: f64, draw: f64) -> CheckDecisionInput {
        CheckDecisionInput {
            rate,
            draw,
            resolved_by_requester: false,
            already_checked: false,
            requester_last_asked_at: None,
            fatigue_days: DEFAULT_FATIGUE_DAYS,
            now: instant("2026-11-20T10:00:00Z"),
        }
    }

    /// Over 10,000 resolutions at rate 0.3 the share asked lies within the
    /// 99.9 % binomial interval (3.29 standard deviations), for several secrets.
    #[test]
    fn the_share_sampled_matches_the_rate() {
        let resolutions = 10_000_i64;
        let rate = 0.3;
        let mean = resolutions as f64 * rate;
        let deviation = (resolutions as f64 * rate * (1.0 - rate)).sqrt();
        for secret in ["acme-secret", "globex", "3f9a0c1d"] {
            let asked = (1..=resolutions)
                .filter(|id| sampled(sampling_draw(secret, *id), rate))
                .count() as f64;
            assert!(
                (asked - mean).abs() <= 3.29 * deviation,
                "secret {secret}: asked {asked}, expected {mean} ± {}",
                3.29 * deviation
            );
        }
    }

    /// Reproducible by anyone holding the secret, from the recipe alone:
    /// SHA-256 of "roundtable check sampling\0", the secret, "\0" and the
    /// request id as 8 little-endian bytes; the digest's first 8 bytes read
    /// little-endian, shifted right by 11, over 2^53. The numerators were
    /// computed apart from this code, with Python's hashlib:
    ///
    /// ```text
    /// python3 -c 'import hashlib, struct
    /// for s, r in [("org-secret", 1), ("org-secret", 2), ("other-secret", 1), ("s3cr3t", 123456789)]:
    ///     d = hashlib.sha256(b"roundtable check sampling\0" + s.encode() + b"\0" + struct.pack("<q", r)).digest()
    ///     print(s, r, struct.unpack("<Q", d[:8])[0] >> 11)'
    /// ```
    ///
    /// A changed recipe would change which past requests an auditor finds
    /// sampled, so it must not change silently.
    #[test]
    fn the_draw_matches_known_answers_computed_independently() {
        let two_to_the_53 = (1_u64 << 53) as f64;
        for (secret, request, numerator) in [
            ("org-secret", 1, 6_095_561_286_552_316_u64),
            ("org-secret", 2, 7_438_423_456_621_792),
            ("other-secret", 1, 1_291_783_010_915_780),
            ("s3cr3t", 123_456_789, 8_924_331_309_095_452),
        ] {
            assert_eq!(
                sampling_draw(secret, request),
                numerator as f64 / two_to_the_53,
                "secret {secret:?}, request {request}"
            );
        }
    }

    /// Draws behave as independent uniform draws: neighbouring requests of
    /// one organization, and one request under two secrets, are no more
    /// alike than chance. Over 20,000 pairs the share of pairs both sampled
    /// at rate 0.5 lies within 3.29 standard deviations of 0.25, and the
    /// share of pairs decided alike within 3.29 of 0.5; the correlation of
    /// the draws stays within 3.29 / sqrt(n) of 0.
    #[test]
    fn draws_are_independent_across_requests_and_secrets() {
        let pairs = 20_000_i64;
        let n = pairs as f64;
        let within = |share: f64, p: f64| (share - p).abs() <= 3.29 * (p * (1.0 - p) / n).sqrt();
        let correlation = |pairs: &[(f64, f64)]| {
            let mean = |values: &mut dyn Iterator<Item = f64>| values.sum::<f64>() / n;
            let (mean_a, mean_b) = (
                mean(&mut pairs.iter().map(|pair| pair.0)),
                mean(&mut pairs.iter().map(|pair| pair.1)),
            );
            let covariance = mean(&mut pairs.iter().map(|(a, b)| (a - mean_a) * (b - mean_b)));
            let spread = |values: &mut dyn Iterator<Item = f64>, centre: f64| {
                mean(&mut values.map(|value| (value - centre).powi(2))).sqrt()
            };
            covariance
                / (spread(&mut pairs.iter().map(|pair| pair.0), mean_a)
                    * spread(&mut pairs.iter().map(|pair| pair.1), mean_b))
        };
        let neighbours: Vec<(f64, f64)> = (1..=pairs)
            .map(|id| {
                (
                    sampling_draw("org-secret", id),
                    sampling_draw("org-secret", id + 1),
                )
            })
            .collect();
        let across_secrets: Vec<(f64, f64)> = (1..=pairs)
            .map(|id| {
                (
                    sampling_draw("org-secret", id),
                    sampling_draw("other-secret", id),
                )
            })
            .collect();
        for (name, draws) in [("neighbours", &neighbours), ("secrets", &across_secrets)] {
            let both = draws
                .iter()
                .filter(|(a, b)| sampled(*a, 0.5) && sampled(*b, 0.5))
                .count() as f64
                / n;
            assert!(within(both, 0.25), "{name}: both sampled in {both}");
            let alike = draws
                .iter()
                .filter(|(a, b)| sampled(*a, 0.5) == sampled(*b, 0.5))
                .count() as f64
                / n;
            assert!(within(alike, 0.5), "{name}: decided alike in {alike}");
            let r = correlation(draws);
            assert!(r.abs() <= 3.29 / n.sqrt(), "{name}: correlation {r}");
        }
    }

    #[test]
    fn the_secret_changes_which_requests_are_asked() {
        let pick = |secret: &str| -> Vec<i64> {
            (1..=200)
                .filter(|id| sampled(sampling_draw(secret, *id), 0.5))
                .collect()
        };
        assert_ne!(pick("one"), pick("two"));
    }

    #[test]
    fn fatigue_spares_someone_asked_recently_and_not_after_the_cap() {
        let mut recent = input(1.0, 0.5);
        recent.requester_last_asked_at = Some(instant("2026-11-15T10:00:00Z"));
        assert_eq!(decide(&recent), CheckDecision::Skip(SkipReason::Fatigue));
        let mut rested = recent;
        rested.requester_last_asked_at = Some(instant("2026-11-13T10:00:00Z"));
        assert_eq!(
            decide(&rested),
            CheckDecision::Ask {
                expires_at: instant("2026-12-04T10:00:00Z")
            }
        );
    }

    #[test]
    fn nobody_rates_their_own_work_and_no_request_is_asked_twice() {
        let mut own = input(1.0, 0.0);
        own.resolved_by_requester = true;
        assert_eq!(decide(&own), CheckDecision::Skip(SkipReason::OwnWork));
        let mut twice = input(1.0, 0.0);
        twice.already_checked = true;
        assert_eq!(
            decide(&twice),
            CheckDecision::Skip(SkipReason::AlreadyChecked)
        );
    }

    #[test]
    fn answers_round_trip_and_score() {
        for answer in CheckAnswer::ALL {
            assert_eq!(CheckAnswer::parse(answer.as_str()), Some(answer));
        }
        assert_eq!(CheckAnswer::parse("maybe"), None);
        let scores: Vec<i64> = CheckAnswer::ALL
            .iter()
            .map(|answer| answer.score())
            .collect();
        assert_eq!(scores, vec![100, 50, 0]);
        assert!(validate_rating(0).is_err() && validate_rating(6).is_err());
        assert_eq!(validate_rating(5), Ok(5));
    }

    proptest! {
        /// Every draw lies in `[0, 1)`, so rate 1 asks everybody.
        #[test]
        fn every_draw_lies_in_the_unit_interval(secret in "[a-z0-9]{1,24}", request in 1_i64..10_000_000) {
            prop_assert!((0.0..1.0).contains(&sampling_draw(&secret, request)));
        }

        /// A request asked at some rate is asked at every higher rate; rate 0
        /// asks nobody and rate 1 everybody.
        #[test]
        fn sampling_is_monotonic_in_the_rate(secret in "[a-z0-9]{1,24}", request in 1_i64..10_000_000, low in 0.0_f64..=1.0, extra in 0.0_f64..=1.0) {
            let draw = sampling_draw(&secret, request);
            let high = (low + extra).min(1.0);
            if sampled(draw, low) {
                prop_assert!(sampled(draw, high));
            }
            prop_assert!(!sampled(draw, 0.0));
            prop_assert!(sampled(draw, 1.0));
        }

        /// Whatever the inputs, an ask is never made inside the fatigue window.
        #[test]
        fn no_ask_inside_the_fatigue_window(hours_since in 0_i64..(30 * 24), fatigue_days in 1_i64..30, draw in 0.0_f64..1.0) {
            let now = instant("2026-11-20T10:00:00Z");
            let last = now.checked_sub(SignedDuration::from_hours(hours_since)).unwrap_or(now);
            let decision = decide(&CheckDecisionInput { requester_last_asked_at: Some(last), fatigue_days, ..input(1.0, draw) });
            let inside = hours_since < fatigue_days * 24;
            prop_assert_eq!(decision == CheckDecision::Skip(SkipReason::Fatigue), inside);
        }
    }
}
