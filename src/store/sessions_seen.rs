//! Sessions recently looked up, kept in memory: every request names its session, and a
//! read transaction for each (on a blocking thread) cost more than many a request's own
//! work. What this process changes about sessions and users clears it at once; a change
//! made by another process (the `users` command while the server runs) is seen within
//! [`FRESH_FOR`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::users::User;

/// How long a looked-up session is trusted without asking the database again.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// More distinct sessions than this within [`FRESH_FOR`] start the memory over.
const MOST_KEPT: usize = 10_000;

#[derive(Default)]
pub(super) struct SessionsSeen {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    seen: HashMap<String, Seen>,
    /// Moves on each change: a look-up that began before one is not kept after it.
    generation: u64,
}

struct Seen {
    user: User,
    expires_at: Timestamp,
    looked_up: Instant,
}

impl SessionsSeen {
    /// The session's user, if it was looked up within [`FRESH_FOR`] and has not expired.
    pub(super) fn user(&self, token_hash: &str, now: Timestamp) -> Option<User> {
        let kept = self.lock();
        kept.seen
            .get(token_hash)
            .filter(|s| s.looked_up.elapsed() < FRESH_FOR && s.expires_at > now)
            .map(|s| s.user.clone())
    }

    /// Where changes stand: take it before looking a session up, to [`Self::note`] it.
    pub(super) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keeps what a look-up begun at `generation` found, unless something changed since.
    pub(super) fn note(
        &self,
        generation: u64,
        token_hash: &str,
        user: &User,
        expires_at: Timestamp,
    ) {
        let mut kept = self.lock();
        if kept.generation != generation {
            return;
        }
        if kept.seen.len() >= MOST_KEPT {
            kept.seen.retain(|_, s| s.looked_up.elapsed() < FRESH_FOR);
            if kept.seen.len() >= MOST_KEPT {
                kept.seen.clear();
            }
        }
        kept.seen.insert(
            token_hash.to_string(),
            Seen {
                user: user.clone(),
                expires_at,
                looked_up: Instant::now(),
            },
        );
    }

    /// Forgets every session: a session or user changed (call it once the change is
    /// committed).
    pub(super) fn forget(&self) {
        let mut kept = self.lock();
        kept.generation += 1;
        kept.seen.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::Role;

    fn user() -> User {
        User {
            id: "u1".into(),
            username: "ops".into(),
            display_name: "Ops".into(),
            role: Role::Ops,
            disabled: false,
            created_at: Timestamp::UNIX_EPOCH,
            channels: None,
        }
    }

    #[test]
    fn a_session_seen_is_kept_until_it_expires_or_something_changes() {
        let seen = SessionsSeen::default();
        let now = Timestamp::now();
        let later = now + jiff::SignedDuration::from_hours(1);
        seen.note(seen.generation(), "t1", &user(), later);
        assert_eq!(seen.user("t1", now), Some(user()));
        assert_eq!(seen.user("t2", now), None, "only the session looked up");
        assert_eq!(seen.user("t1", later), None, "not past its expiry");
        seen.forget();
        assert_eq!(seen.user("t1", now), None);
    }

    #[test]
    fn a_look_up_that_began_before_a_change_is_not_kept() {
        let seen = SessionsSeen::default();
        let began = seen.generation();
        seen.forget();
        let expires = Timestamp::now() + jiff::SignedDuration::from_hours(1);
        seen.note(began, "t1", &user(), expires);
        assert_eq!(seen.user("t1", Timestamp::now()), None);
    }
}
