//! Users, sessions and the audit records of their changes.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::Transaction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append};
use super::{Result, Store, StoreError, micros, timestamp};
use crate::domain::channel::{PublicChannel, binding};
use crate::domain::role::Role;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: Timestamp,
    /// The channels an integration user may post orders for; `None`: not bound (a user
    /// from before bindings, or a role that does not post orders).
    pub channels: Option<Vec<PublicChannel>>,
}

pub struct NewUser<'a> {
    /// Already normalised by `domain::user::normalize_username`.
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub channels: Option<&'a [PublicChannel]>,
}

const USER_COLUMNS: &str = "id, username, display_name, role, disabled, created_at, channels";

type RawUser = (String, String, String, String, bool, i64, Option<String>);

fn user_from_row(r: &Row) -> rusqlite::Result<RawUser> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

/// A binding as stored: comma-separated channel names.
fn stored_channels(channels: &[PublicChannel]) -> String {
    channels
        .iter()
        .map(PublicChannel::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

fn into_user(raw: RawUser) -> Result<User> {
    let (id, username, display_name, role, disabled, created_at, channels) = raw;
    Ok(User {
        channels: channels
            .map(|c| binding([c.as_str()]))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("user {username}: {e}")))?,
        role: role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("user {username}: {e}")))?,
        id,
        username,
        display_name,
        disabled,
        created_at: timestamp(created_at)?,
    })
}

fn user_by_name(c: &Connection, username: &str) -> Result<Option<User>> {
    let raw = c
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
            [username],
            user_from_row,
        )
        .optional()?;
    raw.map(into_user).transpose()
}

fn existing_user(tx: &Transaction, username: &str) -> Result<User> {
    user_by_name(tx, username)?.ok_or_else(|| StoreError::NotFound(format!("user {username:?}")))
}

impl Store {
    pub fn add_user(&self, new: &NewUser, actor: &str, now: Timestamp) -> Result<User> {
        self.write(|tx| {
            if user_by_name(tx, new.username)?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "user {:?} already exists",
                    new.username
                )));
            }
            let id = Uuid::now_v7().to_string();
            tx.execute(
                "INSERT INTO users (id, username, display_name, role, password_hash, created_at, updated_at, channels)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                params![id, new.username, new.display_name, new.role.as_str(), new.password_hash, micros(now),
                    new.channels.map(stored_channels)],
            )?;
            append(tx, &AuditWrite {
                at: now,
                actor,
                action: "user.add",
                entity_kind: "user",
                entity_id: &id,
                detail: json!({ "username": new.username, "role": new.role.as_str(),
                    "channels": new.channels.map(stored_channels) }),
            })?;
            existing_user(tx, new.username)
        })
    }

    pub fn list_users(&self) -> Result<Vec<User>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY username"
            ))?;
            let raws = stmt
                .query_map([], user_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            raws.into_iter().map(into_user).collect()
        })
    }

    pub fn user(&self, username: &str) -> Result<Option<User>> {
        self.read(|c| user_by_name(c, username))
    }

    /// Disabling also ends every open session of the user.
    pub fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        actor: &str,
        now: Timestamp,
    ) -> Result<User> {
        self.changing_sessions(|tx| {
            let user = existing_user(tx, username)?;
            tx.execute(
                "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1",
                params![user.id, disabled, micros(now)],
            )?;
            if disabled {
                revoke_all(tx, &user.id, now)?;
            }
            append(
                tx,
                &AuditWrite {
                    at: now,
                    actor,
                    action: if disabled {
                        "user.disable"
                    } else {
                        "user.enable"
                    },
                    entity_kind: "user",
                    entity_id: &user.id,
                    detail: json!({ "username": username }),
                },
            )?;
            existing_user(tx, username)
        })
    }

    /// Binds a user to the channels it may post orders for (replacing any binding).
    pub fn set_user_channels(
        &self,
        username: &str,
        channels: &[PublicChannel],
        actor: &str,
        now: Timestamp,
    ) -> Result<User> {
        self.changing_sessions(|tx| {
            let user = existing_user(tx, username)?;
            let to = stored_channels(channels);
            tx.execute(
                "UPDATE users SET channels = ?2, updated_at = ?3 WHERE id = ?1",
                params![user.id, to, micros(now)],
            )?;
            append(
                tx,
                &AuditWrite {
                    at: now,
                    actor,
                    action: "user.set_channels",
                    entity_kind: "user",
                    entity_id: &user.id,
                    detail: json!({ "username": username,
                    "from": user.channels.as_deref().map(stored_channels), "to": to }),
                },
            )?;
            existing_user(tx, username)
        })
    }

    pub fn set_user_role(
        &self,
        username: &str,
        role: Role,
        actor: &str,
        now: Timestamp,
    ) -> Result<User> {
        self.changing_sessions(|tx| {
            let user = existing_user(tx, username)?;
            tx.execute(
                "UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1",
                params![user.id, role.as_str(), micros(now)],
            )?;
            append(tx, &AuditWrite {
                at: now,
                actor,
                action: "user.set_role",
                entity_kind: "user",
                entity_id: &user.id,
                detail: json!({ "username": username, "from": user.role.as_str(), "to": role.as_str() }),
            })?;
            existing_user(tx, username)
        })
    }

    /// A new password ends every open session of the user.
    pub fn set_user_password(
        &self,
        username: &str,
        password_hash: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<User> {
        self.changing_sessions(|tx| {
            let user = existing_user(tx, username)?;
            tx.execute(
                "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
                params![user.id, password_hash, micros(now)],
            )?;
            revoke_all(tx, &user.id, now)?;
            append(
                tx,
                &AuditWrite {
                    at: now,
                    actor,
                    action: "user.reset_password",
                    entity_kind: "user",
                    entity_id: &user.id,
                    detail: json!({ "username": username }),
                },
            )?;
            existing_user(tx, username)
        })
    }

    /// The user and their password hash, for checking a sign-in.
    pub fn login_candidate(&self, username: &str) -> Result<Option<(User, String)>> {
        self.read(|c| {
            let hash: Option<String> = c
                .query_row(
                    "SELECT password_hash FROM users WHERE username = ?1",
                    [username],
                    |r| r.get(0),
                )
                .optional()?;
            match hash {
                None => Ok(None),
                Some(hash) => Ok(user_by_name(c, username)?.map(|u| (u, hash))),
            }
        })
    }

    pub fn create_session(
        &self,
        user: &User,
        token_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user.id, micros(now), micros(expires_at)],
            )?;
            append(tx, &AuditWrite {
                at: now,
                actor: &user.username,
                action: "auth.login",
                entity_kind: "session",
                entity_id: &token_hash[..16.min(token_hash.len())],
                detail: json!({ "expires_at": expires_at.to_string() }),
            })
        })
    }

    /// Failed sign-ins are not changes, but they are what an auditor looks for.
    pub fn record_failed_login(
        &self,
        username: &str,
        reason: &str,
        address: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            append(
                tx,
                &AuditWrite {
                    at: now,
                    actor: username,
                    action: "auth.login_failed",
                    entity_kind: "user",
                    entity_id: username,
                    detail: json!({ "reason": reason, "address": address }),
                },
            )
        })
    }

    /// The user behind a live session: not expired, not revoked, user not disabled.
    /// The user of a live session, from memory if it was looked up a moment ago (see
    /// `sessions_seen`): cheap enough to ask without a blocking thread.
    pub fn session_user_seen(&self, token_hash: &str, now: Timestamp) -> Option<User> {
        self.inner.sessions_seen.user(token_hash, now)
    }

    pub fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>> {
        let generation = self.inner.sessions_seen.generation();
        // Every request asks this: the statement is kept, not parsed each time.
        let found = self.read(|c| {
            let raw = c
                .prepare_cached(
                    "SELECT u.id, u.username, u.display_name, u.role, u.disabled, u.created_at,
                        u.channels, s.expires_at
                     FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
                       AND u.disabled = 0",
                )?
                .query_row(params![token_hash, micros(now)], |r| {
                    Ok((user_from_row(r)?, r.get::<_, i64>(7)?))
                })
                .optional()?;
            raw.map(|(user, expires_at)| Ok((into_user(user)?, timestamp(expires_at)?)))
                .transpose()
        })?;
        Ok(found.map(|(user, expires_at)| {
            self.inner
                .sessions_seen
                .note(generation, token_hash, &user, expires_at);
            user
        }))
    }

    /// Returns whether a live session was revoked.
    pub fn revoke_session(&self, token_hash: &str, actor: &str, now: Timestamp) -> Result<bool> {
        self.changing_sessions(|tx| {
            let n = tx.execute(
                "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
                params![token_hash, micros(now)],
            )?;
            if n > 0 {
                append(
                    tx,
                    &AuditWrite {
                        at: now,
                        actor,
                        action: "auth.logout",
                        entity_kind: "session",
                        entity_id: &token_hash[..16.min(token_hash.len())],
                        detail: json!({}),
                    },
                )?;
            }
            Ok(n > 0)
        })
    }
}

impl Store {
    /// A write that changes sessions or users: once it is committed (or has failed), no
    /// session is trusted from memory.
    fn changing_sessions<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let done = self.write(f);
        self.inner.sessions_seen.forget();
        done
    }
}

fn revoke_all(tx: &Transaction, user_id: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
        params![user_id, micros(now)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, store)
    }

    fn add(store: &Store, name: &str) -> User {
        store
            .add_user(
                &NewUser {
                    username: name,
                    display_name: "Mei",
                    role: Role::Cs,
                    password_hash: "h",
                    channels: None,
                },
                "test",
                Timestamp::now(),
            )
            .unwrap()
    }

    #[test]
    fn duplicate_user_is_a_conflict_and_changes_nothing() {
        let (_d, store) = store();
        add(&store, "mei");
        let before = store.audit_entries(None, 100).unwrap().len();
        let err = store
            .add_user(
                &NewUser {
                    username: "mei",
                    display_name: "Other",
                    role: Role::Admin,
                    password_hash: "x",
                    channels: None,
                },
                "test",
                Timestamp::now(),
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert_eq!(store.list_users().unwrap().len(), 1);
        assert_eq!(store.audit_entries(None, 100).unwrap().len(), before);
    }

    #[test]
    fn disabling_ends_sessions() {
        let (_d, store) = store();
        let user = add(&store, "mei");
        let now = Timestamp::now();
        let later = now + jiff::SignedDuration::from_hours(1);
        store.create_session(&user, "tok", now, later).unwrap();
        assert!(store.session_user("tok", now).unwrap().is_some());
        store.set_user_disabled("mei", true, "admin", now).unwrap();
        assert!(store.session_user("tok", now).unwrap().is_none());
        store.set_user_disabled("mei", false, "admin", now).unwrap();
        // Re-enabling does not bring old sessions back.
        assert!(store.session_user("tok", now).unwrap().is_none());
    }

    #[test]
    fn audit_log_is_chained_and_append_only() {
        let (_d, store) = store();
        add(&store, "mei");
        store
            .set_user_role("mei", Role::Ops, "admin", Timestamp::now())
            .unwrap();
        let entries = store.audit_entries(None, 10).unwrap();
        assert_eq!(entries[0].action, "user.set_role");
        assert_eq!(entries[0].detail["to"], "ops");
        let tampered = store.write(|tx| Ok(tx.execute("UPDATE audit_log SET actor = 'x'", [])?));
        assert!(tampered.is_err());
        let chained: i64 = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM audit_log a JOIN audit_log b ON b.id = a.id + 1 WHERE b.prev_hash = a.hash",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(chained, 1);
    }

    #[test]
    fn unknown_user_is_not_found() {
        let (_d, store) = store();
        let err = store
            .set_user_role("ghost", Role::Ops, "admin", Timestamp::now())
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
        assert!(err.to_string().contains("ghost"));
    }
}
