//! How failed sign-ins slow down further attempts.
//!
//! A lockout (N failures, then nobody may sign in for a while) lets anyone
//! lock anyone out, the administrator first. Instead every key an attempt is
//! counted under (the account, the client address) grows a delay: the first
//! few failures cost nothing, then each further attempt must wait a delay that
//! doubles with every failure, up to a cap. Which keys an attempt is held to
//! is the caller's choice: the account's own usual client is not held to the
//! account's count, so guesses from elsewhere cannot keep its owner out.

use jiff::SignedDuration;

/// The delay rule of one kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInThrottle {
    /// Failures that cost no delay.
    pub free_failures: i64,
    /// The wait after the first failure beyond the free ones.
    pub first_delay: SignedDuration,
    /// The longest wait, however many failures.
    pub max_delay: SignedDuration,
    /// A key with no failure for this long starts counting again.
    pub forget_after: SignedDuration,
}

impl SignInThrottle {
    /// How long the next attempt must wait after `failures` failures in a row.
    pub fn delay_after(&self, failures: i64) -> SignedDuration {
        let beyond = failures - self.free_failures;
        if beyond <= 0 {
            return SignedDuration::ZERO;
        }
        // 2^(beyond - 1) times the first delay, computed in nanoseconds
        // without overflow: past 2^40 the cap has long been reached.
        let doublings = u32::try_from((beyond - 1).min(40)).unwrap_or(40);
        let nanos = self
            .first_delay
            .as_nanos()
            .saturating_mul(1_i128 << doublings);
        let cap = self.max_delay.as_nanos();
        let nanos = nanos.min(cap).max(0);
        SignedDuration::from_nanos(i64::try_from(nanos).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RULE: SignInThrottle = SignInThrottle {
        free_failures: 5,
        first_delay: SignedDuration::from_secs(1),
        max_delay: SignedDuration::from_mins(5),
        forget_after: SignedDuration::from_hours(1),
    };

    #[test]
    fn the_delay_is_free_then_doubles_then_stops_growing() {
        let delays: Vec<i64> = (0..=15)
            .map(|failures| RULE.delay_after(failures).as_secs())
            .collect();
        assert_eq!(
            delays,
            [0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
        );
        assert_eq!(RULE.delay_after(i64::MAX), SignedDuration::from_mins(5));
    }

    proptest! {
        #[test]
        fn the_delay_never_shrinks_and_never_passes_the_cap(failures in -10_i64..10_000) {
            let delay = RULE.delay_after(failures);
            prop_assert!(delay <= RULE.max_delay);
            prop_assert!(delay >= SignedDuration::ZERO);
            prop_assert!(RULE.delay_after(failures + 1) >= delay);
        }
    }
}
