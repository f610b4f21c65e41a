//! When a sign-in may be tried: lock-outs per user name, and a failure budget per client
//! address. Only failures count; the caller keeps the records and passes the time in.

use std::time::{Duration, Instant};

/// How failed sign-ins of one user name lock that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures in a row before the name is locked.
    pub free_attempts: u32,
    /// The first lock; each further failure doubles it, up to [`LockoutPolicy::MOST`].
    pub first_lock: Duration,
}

impl LockoutPolicy {
    /// The longest lock, and how long without a failure wipes the slate.
    pub const MOST: Duration = Duration::from_secs(15 * 60);

    /// Whether the name may be tried now, with `checking` attempts of it still being
    /// checked. While free attempts are left, that many may be checked at once; once they
    /// are spent, one at a time (after each lock ends, exactly one try).
    pub fn admit(&self, record: &NameFailures, checking: u32, now: Instant) -> Admission {
        let failures = self.failures_in_force(record, now);
        if let Some(left) = record
            .locked_until
            .and_then(|until| until.checked_duration_since(now))
            .filter(|left| !left.is_zero())
        {
            return Admission::Wait(left);
        }
        let at_once = self.free_attempts.saturating_sub(failures).max(1);
        if checking >= at_once {
            // Earlier tries are still being checked; their outcome decides.
            return Admission::Wait(Duration::from_secs(1));
        }
        Admission::Try
    }

    /// The record after one more failure at `now`.
    pub fn after_failure(&self, record: &NameFailures, now: Instant) -> NameFailures {
        let failures = self.failures_in_force(record, now).saturating_add(1);
        let locked_until = (failures >= self.free_attempts).then(|| {
            let doublings = (failures - self.free_attempts).min(16);
            now + self
                .first_lock
                .saturating_mul(1 << doublings)
                .min(Self::MOST)
        });
        NameFailures {
            failures,
            last_failure: Some(now),
            locked_until,
        }
    }

    /// Whether a record says nothing any more and may be forgotten.
    pub fn is_spent(&self, record: &NameFailures, now: Instant) -> bool {
        self.failures_in_force(record, now) == 0
            && record.locked_until.is_none_or(|until| until <= now)
    }

    /// Failures still counted: 15 minutes without one, after any lock has ended, wipes
    /// them (counted from the failure alone, a 15-minute lock would wipe its own count and
    /// the next guesses would be free again).
    fn failures_in_force(&self, record: &NameFailures, now: Instant) -> u32 {
        let quiet_since = match (record.last_failure, record.locked_until) {
            (Some(last), Some(until)) => Some(last.max(until)),
            (last, _) => last,
        };
        match quiet_since {
            Some(since) if now.saturating_duration_since(since) < Self::MOST => record.failures,
            _ => 0,
        }
    }
}

/// Failed sign-ins of one user name since its last success. A success forgets it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameFailures {
    pub failures: u32,
    pub last_failure: Option<Instant>,
    pub locked_until: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Try,
    /// Not before this long.
    Wait(Duration),
}

/// How many failed sign-ins one client address may make: a bucket of `most` failures that
/// drains one every `regain_one`. Beyond it the address is refused without a password
/// check, except for names that signed in from it lately (a warehouse behind one NAT
/// address signs in often from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressBudget {
    pub most: u32,
    pub regain_one: Duration,
}

/// A name that signed in from an address this lately is still let through when the
/// address is over its budget.
pub const KNOWN_FOR: Duration = Duration::from_secs(24 * 3600);

/// The failures an address has to its name, as they stood at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressFailures {
    pub level: u32,
    pub at: Instant,
}

impl AddressBudget {
    /// Whether the address may try a password now, with `checking` of its tries still
    /// being checked (they may all fail); when not, how long until it may.
    pub fn admit(
        &self,
        record: Option<&AddressFailures>,
        checking: u32,
        now: Instant,
    ) -> Admission {
        let level = record.map_or(0, |r| self.level_at(r, now));
        if level.saturating_add(checking) < self.most {
            return Admission::Try;
        }
        match record.filter(|_| level >= self.most) {
            // Until the bucket has drained below the budget.
            Some(r) => {
                let drained = self
                    .regain_one
                    .saturating_mul(r.level.saturating_sub(self.most).saturating_add(1));
                let waited = now.saturating_duration_since(r.at);
                Admission::Wait(drained.saturating_sub(waited).max(Duration::from_secs(1)))
            }
            // Only tries being checked stand in the way: their outcome decides.
            None => Admission::Wait(Duration::from_secs(1)),
        }
    }

    /// The record after one more failure at `now`.
    pub fn after_failure(&self, record: Option<&AddressFailures>, now: Instant) -> AddressFailures {
        let level = record.map_or(0, |r| self.level_at(r, now));
        AddressFailures {
            level: level.saturating_add(1),
            at: now,
        }
    }

    /// Whether the record has drained to nothing and may be forgotten.
    pub fn is_spent(&self, record: &AddressFailures, now: Instant) -> bool {
        self.level_at(record, now) == 0
    }

    fn level_at(&self, record: &AddressFailures, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(record.at);
        let regained = if self.regain_one.is_zero() {
            u128::from(u32::MAX)
        } else {
            elapsed.as_nanos() / self.regain_one.as_nanos()
        };
        record
            .level
            .saturating_sub(u32::try_from(regained).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            free_attempts: 3,
            first_lock: 10 * SEC,
        }
    }

    fn fail_times(p: &LockoutPolicy, n: u32, at: Instant) -> NameFailures {
        (0..n).fold(NameFailures::default(), |r, _| p.after_failure(&r, at))
    }

    #[test]
    fn free_attempts_then_a_lock() {
        let p = policy();
        let t0 = Instant::now();
        let two = fail_times(&p, 2, t0);
        assert_eq!(two.locked_until, None);
        assert_eq!(p.admit(&two, 0, t0), Admission::Try);
        let three = p.after_failure(&two, t0);
        assert_eq!(three.locked_until, Some(t0 + 10 * SEC));
        assert_eq!(p.admit(&three, 0, t0 + 4 * SEC), Admission::Wait(6 * SEC));
    }

    #[test]
    fn a_lock_ends_with_one_try_and_another_failure_doubles_it() {
        let p = policy();
        let t0 = Instant::now();
        let locked = fail_times(&p, 3, t0);
        let after = t0 + 10 * SEC;
        assert_eq!(p.admit(&locked, 0, after), Admission::Try, "the lock ends");
        assert_eq!(
            p.admit(&locked, 1, after),
            Admission::Wait(SEC),
            "one try at a time once the free ones are spent"
        );
        let again = p.after_failure(&locked, after);
        assert_eq!(again.locked_until, Some(after + 20 * SEC), "doubled");
        let third = p.after_failure(&again, after + 20 * SEC);
        assert_eq!(third.locked_until, Some(after + 60 * SEC));
    }

    #[test]
    fn the_lock_stops_growing_at_fifteen_minutes() {
        let p = policy();
        let t0 = Instant::now();
        let many = (0..40).fold(NameFailures::default(), |r, i| {
            p.after_failure(&r, t0 + i * SEC)
        });
        let until = many.locked_until.expect("locked");
        assert_eq!(until - (t0 + 39 * SEC), LockoutPolicy::MOST);
    }

    #[test]
    fn a_fifteen_minute_lock_does_not_wipe_its_own_count() {
        let p = policy();
        let t0 = Instant::now();
        let most = fail_times(&p, 10, t0);
        let until = most.locked_until.expect("locked");
        assert_eq!(until - t0, LockoutPolicy::MOST);
        assert_eq!(p.admit(&most, 0, until), Admission::Try, "one try after it");
        let next = p.after_failure(&most, until);
        assert_eq!(
            next.locked_until,
            Some(until + LockoutPolicy::MOST),
            "locked again at once, for the longest"
        );
    }

    #[test]
    fn fifteen_quiet_minutes_wipe_the_count() {
        let p = policy();
        let t0 = Instant::now();
        let locked = fail_times(&p, 5, t0);
        let later = locked.locked_until.expect("locked") + LockoutPolicy::MOST;
        assert!(p.is_spent(&locked, later));
        assert!(!p.is_spent(&locked, later - Duration::from_secs(1)));
        let fresh = p.after_failure(&locked, later);
        assert_eq!(fresh.failures, 1);
        assert_eq!(fresh.locked_until, None);
        assert!(!p.is_spent(&fresh, later));
    }

    #[test]
    fn parallel_tries_count_while_they_are_checked() {
        let p = policy();
        let t0 = Instant::now();
        let none = NameFailures::default();
        assert_eq!(p.admit(&none, 2, t0), Admission::Try);
        assert_eq!(p.admit(&none, 3, t0), Admission::Wait(SEC));
        let one = p.after_failure(&none, t0);
        assert_eq!(p.admit(&one, 2, t0), Admission::Wait(SEC));
    }

    #[test]
    fn an_address_budget_refuses_beyond_it_and_drains() {
        let b = AddressBudget {
            most: 3,
            regain_one: 10 * SEC,
        };
        let t0 = Instant::now();
        let mut r = None;
        for _ in 0..3 {
            assert_eq!(b.admit(r.as_ref(), 0, t0), Admission::Try);
            r = Some(b.after_failure(r.as_ref(), t0));
        }
        assert_eq!(b.admit(r.as_ref(), 0, t0), Admission::Wait(10 * SEC));
        assert_eq!(
            b.admit(r.as_ref(), 0, t0 + 4 * SEC),
            Admission::Wait(6 * SEC)
        );
        assert_eq!(b.admit(r.as_ref(), 0, t0 + 10 * SEC), Admission::Try);
        let full = r.expect("record");
        assert!(!b.is_spent(&full, t0 + 29 * SEC));
        assert!(b.is_spent(&full, t0 + 30 * SEC));
    }

    #[test]
    fn tries_being_checked_spend_the_address_budget_and_a_deep_bucket_says_how_long() {
        let b = AddressBudget {
            most: 3,
            regain_one: 10 * SEC,
        };
        let t0 = Instant::now();
        assert_eq!(b.admit(None, 2, t0), Admission::Try);
        assert_eq!(b.admit(None, 3, t0), Admission::Wait(SEC), "a burst waits");
        let deep = AddressFailures { level: 8, at: t0 };
        assert_eq!(
            b.admit(Some(&deep), 0, t0),
            Admission::Wait(60 * SEC),
            "until it has drained below the budget, not one step"
        );
    }
}
