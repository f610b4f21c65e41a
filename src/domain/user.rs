//! Rules for user names and passwords.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserRuleError {
    #[error(
        "user name must be 2–32 characters of a-z, 0-9, '.', '_' or '-', starting with a letter"
    )]
    Username,
    #[error("password must be at least {MIN_PASSWORD_LEN} characters")]
    PasswordTooShort,
    #[error("password must be at most {MAX_PASSWORD_LEN} characters")]
    PasswordTooLong,
    #[error("display name must not be empty")]
    DisplayName,
}

pub const MIN_PASSWORD_LEN: usize = 8;
/// Hashing a huge password is a cheap way to burn server CPU; refuse it.
pub const MAX_PASSWORD_LEN: usize = 256;

/// User names are case-insensitive; the canonical form is lower case.
pub fn normalize_username(raw: &str) -> Result<String, UserRuleError> {
    let name = raw.trim().to_ascii_lowercase();
    let ok_len = (2..=32).contains(&name.len());
    let ok_first = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok_len && ok_first && ok_chars {
        Ok(name)
    } else {
        Err(UserRuleError::Username)
    }
}

pub fn check_new_password(password: &str) -> Result<(), UserRuleError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_LEN {
        Err(UserRuleError::PasswordTooShort)
    } else if chars > MAX_PASSWORD_LEN {
        Err(UserRuleError::PasswordTooLong)
    } else {
        Ok(())
    }
}

pub fn check_display_name(name: &str) -> Result<(), UserRuleError> {
    if name.trim().is_empty() {
        Err(UserRuleError::DisplayName)
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Argon2id (the crate's defaults: 19 MiB, 2 passes) as a PHC string. The caller supplies
/// the random salt, which keeps this function free of I/O.
pub fn hash_password(password: &str, salt: &[u8; 16]) -> Result<String, HashError> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password_with_salt(password.as_bytes(), salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// False for a wrong password and for a stored hash that cannot be parsed.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    password.len() <= MAX_PASSWORD_LEN * 4
        && argon2::Argon2::default()
            .verify_password(password.as_bytes(), phc)
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(normalize_username(" Mei.Lin ").as_deref(), Ok("mei.lin"));
        for bad in ["a", "1abc", "with space", "ü-user", "", &"x".repeat(33)] {
            assert_eq!(
                normalize_username(bad),
                Err(UserRuleError::Username),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords() {
        assert_eq!(
            check_new_password("short"),
            Err(UserRuleError::PasswordTooShort)
        );
        assert_eq!(check_new_password("長長長長長長長長"), Ok(()));
        assert_eq!(
            check_new_password(&"x".repeat(300)),
            Err(UserRuleError::PasswordTooLong)
        );
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let hash = hash_password("correct horse", &[7; 16]).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct hors", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }
}
