//! User administration straight on a database file (`backroom admin user …`), for the
//! first admin and when no server runs. Returns what to tell the administrator; asks and
//! prints nothing (the password prompt is the caller's).

use std::path::Path;

use jiff::Timestamp;

use crate::domain::channel::{self, ChannelRefusal, PublicChannel};
use crate::domain::role::{Permission, Role, UnknownRole};
use crate::domain::user::{
    HashError, UserRuleError, check_display_name, hash_password, normalize_username,
};
use crate::store::{NewUser, Store, StoreError, User};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] UserRuleError),
    #[error(transparent)]
    Role(#[from] UnknownRole),
    #[error(transparent)]
    Channel(#[from] ChannelRefusal),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("a {0} does not post orders, so it cannot be bound to channels")]
    NotAPoster(Role),
    #[error(
        "an integration user posts orders for named channels only: add --channel, e.g. --channel web"
    )]
    IntegrationUnbound,
    #[error("user {0:?} already exists")]
    Exists(String),
    #[error("user {0:?} not found")]
    NotFound(String),
    #[error("name at least one channel, e.g. web or web,marketplace")]
    NoChannel,
}

/// The channels named for a user, checked; `None` when none are named. Only a role that
/// places orders can be bound.
pub fn channel_binding<'a>(
    role: Role,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Option<Vec<PublicChannel>>, AdminError> {
    let channels = channel::binding(names)?;
    if channels.is_empty() {
        return Ok(None);
    }
    if !role.allows(Permission::OrdersCreate) {
        return Err(AdminError::NotAPoster(role));
    }
    Ok(Some(channels))
}

/// A user to add, checked before a password is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub channels: Option<Vec<PublicChannel>>,
}

/// Changes to users, recorded in the audit log as `actor` at `now`.
pub struct UserAdmin<'a> {
    store: &'a Store,
    actor: &'a str,
    now: Timestamp,
}

impl<'a> UserAdmin<'a> {
    pub fn new(store: &'a Store, actor: &'a str, now: Timestamp) -> Self {
        UserAdmin { store, actor, now }
    }

    /// Everything about a new user but the password, checked; refused if the name is taken.
    pub fn check_new(
        &self,
        username: &str,
        role: &str,
        name: Option<String>,
        channels: &[String],
    ) -> Result<NewAccount, AdminError> {
        let username = normalize_username(username)?;
        let role: Role = role.parse()?;
        let channels = channel_binding(role, channels.iter().map(String::as_str))?;
        if role == Role::Integration && channels.is_none() {
            return Err(AdminError::IntegrationUnbound);
        }
        let display_name = name.unwrap_or_else(|| username.clone());
        check_display_name(&display_name)?;
        if self.store.user(&username)?.is_some() {
            return Err(AdminError::Exists(username));
        }
        Ok(NewAccount {
            username,
            display_name,
            role,
            channels,
        })
    }

    /// Adds the user with this password (already checked against the password rules).
    pub fn add(&self, account: &NewAccount, password: &str) -> Result<String, AdminError> {
        let hash = hash_password(password, &rand::random())?;
        let user = self.store.add_user(
            &NewUser {
                username: &account.username,
                display_name: &account.display_name,
                role: account.role,
                password_hash: &hash,
                channels: account.channels.as_deref(),
            },
            self.actor,
            self.now,
        )?;
        Ok(format!(
            "added {} ({}) as {}",
            user.username, user.display_name, user.role
        ))
    }

    /// One line per user (name, role, state, full name, channels); a hint if there are none.
    pub fn list(&self, db: &Path) -> Result<Vec<String>, AdminError> {
        let users = self.store.list_users()?;
        if users.is_empty() {
            return Ok(vec![format!(
                "no users yet; add one with: backroom admin --db {} user add NAME --role admin",
                db.display()
            )]);
        }
        Ok(users.iter().map(user_line).collect())
    }

    pub fn disable(&self, username: &str) -> Result<String, AdminError> {
        let u = self.store.set_user_disabled(
            &normalize_username(username)?,
            true,
            self.actor,
            self.now,
        )?;
        Ok(format!(
            "disabled {}; their sessions have ended",
            u.username
        ))
    }

    pub fn enable(&self, username: &str) -> Result<String, AdminError> {
        let u = self.store.set_user_disabled(
            &normalize_username(username)?,
            false,
            self.actor,
            self.now,
        )?;
        Ok(format!("enabled {}", u.username))
    }

    pub fn set_role(&self, username: &str, role: &str) -> Result<String, AdminError> {
        let role: Role = role.parse()?;
        let u =
            self.store
                .set_user_role(&normalize_username(username)?, role, self.actor, self.now)?;
        Ok(format!("{} is now {}", u.username, u.role))
    }

    /// `channels` as typed, e.g. `web,marketplace`.
    pub fn set_channels(&self, username: &str, channels: &str) -> Result<String, AdminError> {
        let username = normalize_username(username)?;
        let Some(user) = self.store.user(&username)? else {
            return Err(AdminError::NotFound(username));
        };
        let Some(channels) = channel_binding(user.role, [channels])? else {
            return Err(AdminError::NoChannel);
        };
        let u = self
            .store
            .set_user_channels(&username, &channels, self.actor, self.now)?;
        let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
        Ok(format!(
            "{} may post orders for {}",
            u.username,
            names.join(", ")
        ))
    }

    /// The user whose password is to be reset, before the new one is asked for.
    pub fn existing(&self, username: &str) -> Result<User, AdminError> {
        let username = normalize_username(username)?;
        self.store
            .user(&username)?
            .ok_or(AdminError::NotFound(username))
    }

    /// Sets a new password (already checked against the password rules); the user's
    /// sessions end.
    pub fn reset_password(&self, username: &str, password: &str) -> Result<String, AdminError> {
        let hash = hash_password(password, &rand::random())?;
        let u = self
            .store
            .set_user_password(username, &hash, self.actor, self.now)?;
        Ok(format!(
            "new password set for {}; their sessions have ended",
            u.username
        ))
    }
}

fn user_line(u: &User) -> String {
    let state = if u.disabled { "disabled" } else { "active" };
    let channels = match &u.channels {
        Some(c) => {
            let names: Vec<&str> = c.iter().map(|c| c.as_str()).collect();
            format!("  (posts for {})", names.join(", "))
        }
        None if u.role == Role::Integration => "  (bound to no channel)".into(),
        None => String::new(),
    };
    format!(
        "{:<20} {:<11} {:<9} {}{channels}",
        u.username,
        u.role.as_str(),
        state,
        u.display_name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "Vq8#mTz!4rLp";

    fn fresh() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("shop.db")).unwrap();
        (dir, store)
    }

    fn admin(store: &Store) -> UserAdmin<'_> {
        UserAdmin::new(store, "admin-cli", Timestamp::now())
    }

    #[test]
    fn an_empty_list_says_how_to_add_the_first_admin() {
        let (dir, store) = fresh();
        let db = dir.path().join("shop.db");
        assert_eq!(
            admin(&store).list(&db).unwrap(),
            [format!(
                "no users yet; add one with: backroom admin --db {} user add NAME --role admin",
                db.display()
            )]
        );
    }

    #[test]
    fn added_users_are_listed_with_role_state_and_channels() {
        let (dir, store) = fresh();
        let admin = admin(&store);
        let ana = admin
            .check_new("Ana", "ops", Some("Ana Lima".into()), &[])
            .unwrap();
        assert_eq!(ana.username, "ana");
        assert_eq!(
            admin.add(&ana, PASSWORD).unwrap(),
            "added ana (Ana Lima) as ops"
        );
        let shop = admin
            .check_new("shop", "integration", None, &["web,marketplace".into()])
            .unwrap();
        admin.add(&shop, PASSWORD).unwrap();
        assert_eq!(
            admin.disable("ANA").unwrap(),
            "disabled ana; their sessions have ended"
        );
        assert_eq!(
            admin.list(&dir.path().join("shop.db")).unwrap(),
            [
                format!("{:<20} {:<11} {:<9} Ana Lima", "ana", "ops", "disabled"),
                format!(
                    "{:<20} {:<11} {:<9} shop  (posts for web, marketplace)",
                    "shop", "integration", "active"
                ),
            ]
        );
        assert_eq!(admin.enable("ana").unwrap(), "enabled ana");
    }

    #[test]
    fn a_new_user_is_refused_before_any_password_is_asked() {
        let (_dir, store) = fresh();
        let admin = admin(&store);
        assert!(matches!(
            admin.check_new("shop", "integration", None, &[]),
            Err(AdminError::IntegrationUnbound)
        ));
        let refused = admin
            .check_new("kim", "warehouse", None, &["web".into()])
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "a warehouse does not post orders, so it cannot be bound to channels"
        );
        assert!(matches!(
            admin.check_new("kim", "wizard", None, &[]),
            Err(AdminError::Role(_))
        ));
        let kim = admin.check_new("kim", "warehouse", None, &[]).unwrap();
        admin.add(&kim, PASSWORD).unwrap();
        assert_eq!(
            admin
                .check_new("KIM", "cs", None, &[])
                .unwrap_err()
                .to_string(),
            "user \"kim\" already exists"
        );
    }

    #[test]
    fn role_channels_and_password_change_by_name() {
        let (_dir, store) = fresh();
        let admin = admin(&store);
        let lee = admin.check_new("lee", "cs", None, &[]).unwrap();
        admin.add(&lee, PASSWORD).unwrap();
        assert_eq!(admin.set_role("Lee", "ops").unwrap(), "lee is now ops");
        assert_eq!(
            admin.set_channels("lee", "web").unwrap(),
            "lee may post orders for web"
        );
        assert!(matches!(
            admin.set_channels("lee", ""),
            Err(AdminError::NoChannel)
        ));
        assert_eq!(
            admin.set_channels("nobody", "web").unwrap_err().to_string(),
            "user \"nobody\" not found"
        );
        let user = admin.existing("LEE").unwrap();
        assert_eq!(user.username, "lee");
        assert_eq!(
            admin
                .reset_password(&user.username, "Zt5!kWq9#pLm")
                .unwrap(),
            "new password set for lee; their sessions have ended"
        );
        assert!(matches!(
            admin.existing("nobody"),
            Err(AdminError::NotFound(_))
        ));
    }
}
