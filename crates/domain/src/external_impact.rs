//! The external-impact report: the chain from an internal miss to an
//! external customer. Requests that carried external impact
//! (`customer_affected` or `customer_waiting`) are tallied per provider
//! department and, separately, per customer segment (requests without a
//! segment form a group of their own): how many there were of each kind,
//! how many breached a clock, how many were deferred, and the business time
//! external customers waited on the internal work.
//!
//! The clocks themselves are read elsewhere ([`crate::clocks::read_clock`]);
//! this module only groups and sums what each request's clocks said, so that
//! the totals per department, the totals per segment and the overall total
//! always agree.

use crate::clocks::ExternalImpact;
use crate::ids::DepartmentId;
use std::collections::BTreeMap;

/// What the report needs to know of one request with external impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImpactFact {
    /// The department holding the request (its provider).
    pub provider: DepartmentId,
    /// The external customer segment it serves, if named.
    pub segment: Option<i64>,
    pub impact: ExternalImpact,
    /// Its first-response or fulfilment clock breached (or was missed).
    pub breached: bool,
    /// The provider deferred it for another external customer.
    pub deferred: bool,
    /// Whole business minutes on the provider's fulfilment clock (paused
    /// time excluded), as the request page shows them; `None` when the
    /// provider has no business calendar, so nothing could be measured.
    pub waited_minutes: Option<i64>,
}

/// The figures of one group of requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpactTally {
    pub customer_affected: i64,
    pub customer_waiting: i64,
    pub breached: i64,
    pub deferred: i64,
    /// Business minutes external customers waited, summed over the measured requests.
    pub waited_minutes: i64,
    /// Requests whose waiting could not be measured (no business calendar).
    pub unmeasured: i64,
    waits: Vec<i64>,
}

impl ImpactTally {
    /// Requests with external impact in the group.
    pub fn requests(&self) -> i64 {
        self.customer_affected + self.customer_waiting
    }

    /// The median business minutes waited (the lower middle of an even
    /// count), `None` when nothing was measured.
    pub fn median_waited_minutes(&self) -> Option<i64> {
        let mut waits = self.waits.clone();
        waits.sort_unstable();
        match waits.len() {
            0 => None,
            count => Some(waits[(count - 1) / 2]),
        }
    }

    fn add(&mut self, fact: &ImpactFact) {
        match fact.impact {
            ExternalImpact::CustomerAffected => self.customer_affected += 1,
            ExternalImpact::CustomerWaiting => self.customer_waiting += 1,
            ExternalImpact::None => return,
        }
        self.breached += i64::from(fact.breached);
        self.deferred += i64::from(fact.deferred);
        match fact.waited_minutes {
            Some(minutes) => {
                self.waited_minutes = self.waited_minutes.saturating_add(minutes);
                self.waits.push(minutes);
            }
            None => self.unmeasured += 1,
        }
    }
}

/// The report: totals overall, per provider department and per segment
/// (`None` is "no segment"). Groups without requests are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpactReport {
    pub overall: ImpactTally,
    pub by_department: BTreeMap<DepartmentId, ImpactTally>,
    pub by_segment: BTreeMap<Option<i64>, ImpactTally>,
}

/// Tallies the facts; requests without external impact are left out.
pub fn tally<'a>(facts: impl IntoIterator<Item = &'a ImpactFact>) -> ImpactReport {
    let mut report = ImpactReport::default();
    for fact in facts {
        if fact.impact == ExternalImpact::None {
            continue;
        }
        report.overall.add(fact);
        report
            .by_department
            .entry(fact.provider)
            .or_default()
            .add(fact);
        report.by_segment.entry(fact.segment).or_default().add(fact);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fact(provider: i64, segment: Option<i64>, impact: ExternalImpact) -> ImpactFact {
        ImpactFact {
            provider: DepartmentId(provider),
            segment,
            impact,
            breached: false,
            deferred: false,
            waited_minutes: Some(0),
        }
    }

    #[test]
    fn groups_by_department_and_by_segment_apart() {
        let facts = [
            ImpactFact {
                breached: true,
                waited_minutes: Some(90),
                ..fact(1, Some(7), ExternalImpact::CustomerWaiting)
            },
            ImpactFact {
                deferred: true,
                waited_minutes: Some(30),
                ..fact(1, None, ExternalImpact::CustomerAffected)
            },
            ImpactFact {
                waited_minutes: None,
                ..fact(2, Some(7), ExternalImpact::CustomerAffected)
            },
            fact(2, Some(7), ExternalImpact::None),
        ];
        let report = tally(&facts);
        assert_eq!(report.overall.requests(), 3);
        assert_eq!(report.overall.breached, 1);
        assert_eq!(report.overall.deferred, 1);
        assert_eq!(report.overall.waited_minutes, 120);
        assert_eq!(report.overall.unmeasured, 1);

        let first = &report.by_department[&DepartmentId(1)];
        assert_eq!((first.customer_waiting, first.customer_affected), (1, 1));
        assert_eq!(first.waited_minutes, 120);
        assert_eq!(first.median_waited_minutes(), Some(30));
        let second = &report.by_department[&DepartmentId(2)];
        assert_eq!(second.requests(), 1);
        assert_eq!(second.median_waited_minutes(), None);

        let segment = &report.by_segment[&Some(7)];
        assert_eq!(segment.requests(), 2);
        assert_eq!(segment.breached, 1);
        let unnamed = &report.by_segment[&None];
        assert_eq!(unnamed.deferred, 1);
        assert_eq!(report.by_segment.len(), 2);
    }

    #[test]
    fn no_external_impact_means_an_empty_report() {
        let report = tally(&[fact(1, None, ExternalImpact::None)]);
        assert_eq!(report, ImpactReport::default());
    }

    #[test]
    fn the_median_takes_the_lower_middle() {
        let facts: Vec<ImpactFact> = [10, 40, 20, 30]
            .into_iter()
            .map(|minutes| ImpactFact {
                waited_minutes: Some(minutes),
                ..fact(1, None, ExternalImpact::CustomerWaiting)
            })
            .collect();
        assert_eq!(tally(&facts).overall.median_waited_minutes(), Some(20));
    }

    fn impact() -> impl Strategy<Value = ExternalImpact> {
        prop_oneof![
            Just(ExternalImpact::None),
            Just(ExternalImpact::CustomerAffected),
            Just(ExternalImpact::CustomerWaiting),
        ]
    }

    fn any_fact() -> impl Strategy<Value = ImpactFact> {
        (
            1i64..5,
            proptest::option::of(1i64..4),
            impact(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0i64..100_000),
        )
            .prop_map(
                |(provider, segment, impact, breached, deferred, waited_minutes)| ImpactFact {
                    provider: DepartmentId(provider),
                    segment,
                    impact,
                    breached,
                    deferred,
                    waited_minutes,
                },
            )
    }

    fn summed<'a>(tallies: impl Iterator<Item = &'a ImpactTally>) -> [i64; 6] {
        tallies.fold([0; 6], |sums, tally| {
            [
                sums[0] + tally.customer_affected,
                sums[1] + tally.customer_waiting,
                sums[2] + tally.breached,
                sums[3] + tally.deferred,
                sums[4] + tally.waited_minutes,
                sums[5] + tally.unmeasured,
            ]
        })
    }

    proptest! {
        #[test]
        fn departments_and_segments_each_add_up_to_the_whole(
            facts in proptest::collection::vec(any_fact(), 0..60)
        ) {
            let report = tally(&facts);
            let overall = summed(std::iter::once(&report.overall));
            prop_assert_eq!(summed(report.by_department.values()), overall);
            prop_assert_eq!(summed(report.by_segment.values()), overall);
            let with_impact = facts.iter().filter(|fact| fact.impact != ExternalImpact::None).count();
            prop_assert_eq!(report.overall.requests(), with_impact as i64);
            prop_assert!(report.overall.breached <= report.overall.requests());
            prop_assert!(report.overall.deferred <= report.overall.requests());
        }
    }
}
