//! Failed sign-ins remembered in bounded memory: per user name (lock-outs), per client
//! address (a failure budget), and which names signed in from which address lately.
//! The rules are `domain::sign_in`'s; this keeps the records and forgets old ones.
//!
//! Written here rather than with `governor`: its keyed limiters count every call, and here
//! only failures count, a name that signed in from an address lately passes that
//! address's limit, and a lock-out doubles.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::sign_in::{
    AddressBudget, AddressFailures, Admission, KNOWN_FOR, LockoutPolicy, NameFailures,
};

/// Records kept per kind at most; beyond, spent ones go first, then the oldest.
const MOST_KEPT: usize = 20_000;
/// Addresses remembered per name as ones it signed in from: one account signing in from
/// thousands of addresses must not push other users' addresses out of memory.
const MOST_ADDRESSES_PER_NAME: usize = 16;

/// Why a sign-in is not tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This user name is locked for a while.
    Name { retry_after: Duration },
    /// This client address has failed too often lately.
    Address { retry_after: Duration },
}

/// A client address as the throttle counts it: IPv6 by its /64, which one host usually
/// holds whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => {
                    let bits = u128::from(v6) & !((1u128 << 64) - 1);
                    ClientKey(IpAddr::V6(bits.into()))
                }
            },
            v4 => ClientKey(v4),
        }
    }
}

pub struct SignInThrottle {
    lockout: LockoutPolicy,
    budget: AddressBudget,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    names: Forgetful<LockKey, NameEntry>,
    addresses: Forgetful<ClientKey, AddressEntry>,
    /// Per name, the addresses it signed in from and when, newest last.
    known: Forgetful<String, Vec<(ClientKey, Instant)>>,
}

/// Whose failures a lock counts. A name tried from an address it signed in from lately
/// has a lock of its own there: guesses from elsewhere lock the name, not its user at
/// their own desk.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LockKey {
    name: String,
    known_at: Option<ClientKey>,
}

#[derive(Default, Clone, Copy)]
struct NameEntry {
    failures: NameFailures,
    /// Attempts begun and not yet settled.
    checking: u32,
}

#[derive(Default, Clone, Copy)]
struct AddressEntry {
    failures: Option<AddressFailures>,
    /// Attempts begun and not yet settled: a burst may not outrun the budget.
    checking: u32,
}

/// A sign-in being checked; it must end as a success or a failure (dropped unsettled, it
/// counts as neither: the check could not be made).
pub struct Attempt<'t> {
    throttle: &'t SignInThrottle,
    lock: LockKey,
    client: ClientKey,
    /// Whether it spends the address's budget (a name known there does not).
    budgeted: bool,
    settled: bool,
}

impl SignInThrottle {
    pub fn new(lockout: LockoutPolicy, budget: AddressBudget) -> SignInThrottle {
        SignInThrottle {
            lockout,
            budget,
            kept: Mutex::default(),
        }
    }

    /// Starts an attempt for `name` from `client`, or says why not now.
    pub fn begin(&self, name: &str, client: ClientKey) -> Result<Attempt<'_>, Refusal> {
        let now = Instant::now();
        let mut kept = self.lock();
        let known = kept.known.get(name).is_some_and(|seen| {
            seen.iter()
                .any(|(at, when)| *at == client && now.saturating_duration_since(*when) < KNOWN_FOR)
        });
        let lock = LockKey {
            name: name.to_string(),
            known_at: known.then_some(client),
        };
        let entry = kept.names.get(&lock).copied().unwrap_or_default();
        if let Admission::Wait(retry_after) =
            self.lockout.admit(&entry.failures, entry.checking, now)
        {
            return Err(Refusal::Name { retry_after });
        }
        if !known {
            let address = kept.addresses.get(&client).copied().unwrap_or_default();
            if let Admission::Wait(retry_after) =
                self.budget
                    .admit(address.failures.as_ref(), address.checking, now)
            {
                return Err(Refusal::Address { retry_after });
            }
            self.put_address(
                &mut kept,
                client,
                AddressEntry {
                    checking: address.checking + 1,
                    ..address
                },
                now,
            );
        }
        self.put_name(
            &mut kept,
            lock.clone(),
            NameEntry {
                checking: entry.checking + 1,
                ..entry
            },
            now,
        );
        Ok(Attempt {
            throttle: self,
            lock,
            client,
            budgeted: !known,
            settled: false,
        })
    }

    /// Counts a failure that never reached a password check (a name that cannot exist)
    /// against the client's budget; refused if the budget is spent.
    pub fn fail_unchecked(&self, client: ClientKey) -> Result<(), Refusal> {
        let now = Instant::now();
        let mut kept = self.lock();
        let address = kept.addresses.get(&client).copied().unwrap_or_default();
        if let Admission::Wait(retry_after) =
            self.budget
                .admit(address.failures.as_ref(), address.checking, now)
        {
            return Err(Refusal::Address { retry_after });
        }
        let failures = Some(self.budget.after_failure(address.failures.as_ref(), now));
        self.put_address(
            &mut kept,
            client,
            AddressEntry {
                failures,
                ..address
            },
            now,
        );
        Ok(())
    }

    fn put_name(&self, kept: &mut Kept, key: LockKey, entry: NameEntry, now: Instant) {
        let lockout = self.lockout;
        kept.names.put(
            key,
            entry,
            |e| e.checking == 0 && lockout.is_spent(&e.failures, now),
            |e| (e.failures.locked_until.is_some(), e.failures.last_failure),
        );
    }

    fn put_address(&self, kept: &mut Kept, client: ClientKey, entry: AddressEntry, now: Instant) {
        let budget = self.budget;
        kept.addresses.put(
            client,
            entry,
            |e| e.checking == 0 && e.failures.is_none_or(|f| budget.is_spent(&f, now)),
            |e| (false, e.failures.map(|f| f.at)),
        );
    }

    /// Settles an attempt: gives back its slot among the name's and the address's tries
    /// being checked, and counts its failure if it failed.
    fn settle(&self, attempt: &Attempt<'_>, failed: bool) {
        let now = Instant::now();
        let mut kept = self.lock();
        let entry = kept.names.get(&attempt.lock).copied().unwrap_or_default();
        if failed || kept.names.get(&attempt.lock).is_some() {
            let failures = if failed {
                self.lockout.after_failure(&entry.failures, now)
            } else {
                entry.failures
            };
            self.put_name(
                &mut kept,
                attempt.lock.clone(),
                NameEntry {
                    failures,
                    checking: entry.checking.saturating_sub(1),
                },
                now,
            );
        }
        if attempt.budgeted {
            let address = kept
                .addresses
                .get(&attempt.client)
                .copied()
                .unwrap_or_default();
            let failures = if failed {
                Some(self.budget.after_failure(address.failures.as_ref(), now))
            } else {
                address.failures
            };
            self.put_address(
                &mut kept,
                attempt.client,
                AddressEntry {
                    failures,
                    checking: address.checking.saturating_sub(1),
                },
                now,
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records kept now, per kind: names, addresses, known name-address pairs.
    #[cfg(test)]
    fn kept(&self) -> (usize, usize, usize) {
        let kept = self.lock();
        (kept.names.len(), kept.addresses.len(), kept.known.len())
    }
}

impl Attempt<'_> {
    pub fn succeeded(mut self) {
        self.settled = true;
        let now = Instant::now();
        let throttle = self.throttle;
        throttle.settle(&self, false);
        let mut kept = throttle.lock();
        // The user's failures go, here and elsewhere (tries still being checked keep
        // their slots).
        for known_at in [None, Some(self.client)] {
            let key = LockKey {
                name: self.lock.name.clone(),
                known_at,
            };
            match kept.names.get(&key).copied() {
                Some(entry) if entry.checking == 0 => kept.names.remove(&key),
                Some(entry) => kept.names.put_existing(
                    &key,
                    NameEntry {
                        failures: NameFailures::default(),
                        checking: entry.checking,
                    },
                ),
                None => {}
            }
        }
        let mut seen = kept.known.get(&self.lock.name).cloned().unwrap_or_default();
        seen.retain(|(at, when)| {
            *at != self.client && now.saturating_duration_since(*when) < KNOWN_FOR
        });
        if seen.len() >= MOST_ADDRESSES_PER_NAME {
            seen.remove(0);
        }
        seen.push((self.client, now));
        kept.known.put(
            self.lock.name.clone(),
            seen,
            |seen| {
                seen.iter()
                    .all(|(_, when)| now.saturating_duration_since(*when) >= KNOWN_FOR)
            },
            |seen| (false, seen.last().map(|(_, when)| *when)),
        );
    }

    pub fn failed(mut self) {
        self.settled = true;
        self.throttle.settle(&self, true);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.throttle.settle(self, false);
        }
    }
}

/// A map that holds at most [`MOST_KEPT`] records: when full, it forgets the spent ones,
/// and if that is not enough, the least worth keeping quarter (by the rank the caller
/// gives: locked records last, then the oldest first).
struct Forgetful<K, V> {
    map: HashMap<K, V>,
}

impl<K, V> Default for Forgetful<K, V> {
    fn default() -> Self {
        Forgetful {
            map: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, V> Forgetful<K, V> {
    fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.map.get(key)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }

    fn remove<Q>(&mut self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.map.remove(key);
    }

    /// Replaces a record that is there; a forgotten one stays forgotten.
    fn put_existing<Q>(&mut self, key: &Q, value: V)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        if let Some(kept) = self.map.get_mut(key) {
            *kept = value;
        }
    }

    fn put<R: Ord>(
        &mut self,
        key: K,
        value: V,
        spent: impl Fn(&V) -> bool,
        rank: impl Fn(&V) -> R,
    ) {
        if self.map.len() >= MOST_KEPT && !self.map.contains_key(&key) {
            self.map.retain(|_, v| !spent(v));
            if self.map.len() >= MOST_KEPT {
                let mut ranked: Vec<(R, K)> =
                    self.map.iter().map(|(k, v)| (rank(v), k.clone())).collect();
                let cut = MOST_KEPT / 4;
                ranked.select_nth_unstable_by(cut, |a, b| a.0.cmp(&b.0));
                for (_, k) in ranked.into_iter().take(cut) {
                    self.map.remove(&k);
                }
            }
        }
        self.map.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(free: u32, budget: u32) -> SignInThrottle {
        SignInThrottle::new(
            LockoutPolicy {
                free_attempts: free,
                first_lock: Duration::from_secs(10),
            },
            AddressBudget {
                most: budget,
                regain_one: Duration::from_secs(60),
            },
        )
    }

    fn client(last: u8) -> ClientKey {
        IpAddr::from([127, 0, 0, last]).into()
    }

    #[test]
    fn a_name_locks_and_other_names_do_not() {
        let t = throttle(2, 100);
        t.begin("mei", client(1)).expect("first").failed();
        t.begin("mei", client(1)).expect("second").failed();
        assert!(matches!(
            t.begin("mei", client(2)),
            Err(Refusal::Name { .. })
        ));
        assert!(t.begin("lin", client(1)).is_ok());
    }

    #[test]
    fn an_address_over_budget_is_refused_except_for_names_known_from_it() {
        let t = throttle(100, 3);
        t.begin("mei", client(1)).expect("mei").succeeded();
        for n in 0..3 {
            t.begin(&format!("guess{n}"), client(1))
                .expect("within budget")
                .failed();
        }
        assert!(matches!(
            t.begin("other", client(1)),
            Err(Refusal::Address { .. })
        ));
        assert!(
            t.begin("mei", client(1)).is_ok(),
            "signed in from there lately"
        );
        assert!(t.begin("other", client(2)).is_ok(), "another address");
        assert!(matches!(
            t.fail_unchecked(client(1)),
            Err(Refusal::Address { .. })
        ));
    }

    #[test]
    fn guesses_from_elsewhere_do_not_lock_a_user_out_of_their_own_desk() {
        let t = throttle(2, 100);
        t.begin("mei", client(5))
            .expect("mei at her desk")
            .succeeded();
        for _ in 0..2 {
            t.begin("mei", client(66)).expect("a guess").failed();
        }
        assert!(matches!(
            t.begin("mei", client(67)),
            Err(Refusal::Name { .. })
        ));
        t.begin("mei", client(5))
            .expect("her desk has a lock of its own")
            .succeeded();
        for _ in 0..2 {
            t.begin("mei", client(5))
                .expect("a slip at her desk")
                .failed();
        }
        assert!(
            matches!(t.begin("mei", client(5)), Err(Refusal::Name { .. })),
            "guesses at her desk lock it there too"
        );
    }

    #[test]
    fn one_account_signing_in_everywhere_does_not_make_others_forget_their_desks() {
        let t = throttle(2, 100);
        t.begin("mei", client(5))
            .expect("mei at her desk")
            .succeeded();
        for n in 0..(MOST_KEPT as u32 + 100) {
            let ip = IpAddr::from([10, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
            t.begin("shop", ip.into()).expect("the shop").succeeded();
        }
        for _ in 0..2 {
            t.begin("mei", client(66)).expect("a guess").failed();
        }
        assert!(t.begin("mei", client(5)).is_ok(), "her desk is still hers");
    }

    #[test]
    fn a_burst_cannot_outrun_the_address_budget() {
        let t = throttle(100, 3);
        let held: Vec<_> = (0..3)
            .map(|n| {
                t.begin(&format!("guess{n}"), client(9))
                    .expect("within budget")
            })
            .collect();
        assert!(matches!(
            t.begin("guess9", client(9)),
            Err(Refusal::Address { .. })
        ));
        drop(held);
        assert!(
            t.begin("guess9", client(9)).is_ok(),
            "unsettled tries give back their slots"
        );
    }

    #[test]
    fn memory_stays_bounded_under_random_names() {
        let t = throttle(5, u32::MAX);
        for n in 0..(MOST_KEPT + 5_000) {
            let ip = IpAddr::from([10, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
            t.begin(&format!("random{n}"), ip.into())
                .expect("try")
                .failed();
        }
        let (names, addresses, _) = t.kept();
        assert!(
            names <= MOST_KEPT && addresses <= MOST_KEPT,
            "{names} {addresses}"
        );
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_v4_as_v4() {
        let a: ClientKey = "2001:db8:1:2::1".parse::<IpAddr>().expect("ip").into();
        let b: ClientKey = "2001:db8:1:2:ffff::9".parse::<IpAddr>().expect("ip").into();
        assert_eq!(a, b);
        let mapped: ClientKey = "::ffff:127.0.0.1".parse::<IpAddr>().expect("ip").into();
        assert_eq!(mapped, client(1));
    }
}
