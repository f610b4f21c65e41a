//! Rules for user names and passwords.

use super::role::Role;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserRuleError {
    #[error(
        "user name must be 2–32 characters of a-z, 0-9, '.', '_' or '-', starting with a letter"
    )]
    Username,
    #[error("password too short: it must have at least {MIN_PASSWORD_LEN} characters")]
    PasswordTooShort,
    #[error("password too long: it may have at most {MAX_PASSWORD_LEN} characters")]
    PasswordTooLong,
    /// `advice` is zxcvbn's own warning and suggestions, when it gives any.
    #[error(
        "password too easy to guess: zxcvbn scores it {score} of 4, and {MIN_PASSWORD_SCORE} is needed{}",
        advice_after(advice)
    )]
    PasswordTooEasyToGuess { score: u8, advice: String },
    #[error("display name must not be empty")]
    DisplayName,
}

fn advice_after(advice: &str) -> String {
    if advice.is_empty() {
        String::new()
    } else {
        format!(". {advice}")
    }
}

pub const MIN_PASSWORD_LEN: usize = 10;
/// Hashing a huge password is a cheap way to burn server CPU; refuse it.
pub const MAX_PASSWORD_LEN: usize = 256;
/// zxcvbn's score runs 0–4; 3 means about 10^8 to 10^10 guesses, which zxcvbn itself calls
/// the least that is not "too weak".
pub const MIN_PASSWORD_SCORE: u8 = 3;

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

/// A new password: [`MIN_PASSWORD_LEN`] to [`MAX_PASSWORD_LEN`] characters, and not easy to
/// guess by zxcvbn's judgement (score [`MIN_PASSWORD_SCORE`] or more). The user's name and
/// display name count as words an attacker tries first, so "mei.lin12345" is weak for mei.lin.
///
/// zxcvbn reads the clock for one thing only, which years count as recent; everything
/// else here depends on the arguments alone.
pub fn check_new_password(
    password: &str,
    username: &str,
    display_name: &str,
) -> Result<(), UserRuleError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_LEN {
        return Err(UserRuleError::PasswordTooShort);
    }
    if chars > MAX_PASSWORD_LEN {
        return Err(UserRuleError::PasswordTooLong);
    }
    let words = guessable_words(username, display_name);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let entropy = zxcvbn::zxcvbn(password, &words);
    let score = u8::from(entropy.score());
    if score < MIN_PASSWORD_SCORE {
        let advice = entropy
            .feedback()
            .map(|f| f.to_string().trim().to_string())
            .unwrap_or_default();
        return Err(UserRuleError::PasswordTooEasyToGuess { score, advice });
    }
    Ok(())
}

/// What an attacker of this user tries first, most likely first (zxcvbn ranks them by
/// position): the user's names whole and in parts, then this product's name and the demo
/// passwords, which the README publishes (`backroom-<role>`, as the seed sets them).
fn guessable_words(username: &str, display_name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut add = |word: &str| {
        let word = word.to_lowercase();
        if !words.contains(&word) {
            words.push(word);
        }
    };
    for name in [username, display_name] {
        add(name);
    }
    for name in [username, display_name] {
        name.split(|c: char| !c.is_alphanumeric())
            .filter(|part| part.chars().count() >= 2)
            .for_each(&mut add);
    }
    add("backroom");
    for role in Role::ALL {
        add(&format!("backroom-{}", role.as_str()));
    }
    words
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
    verify_password_in(password, phc, |blocks| {
        Some(vec![argon2::Block::default(); blocks])
    })
}

/// [`verify_password`] in working memory the caller lends: `memory` is asked for that many
/// Argon2 blocks once the hash is read (`None`: no memory, the check fails). For a caller
/// that keeps its memory between checks instead of allocating 19 MiB for each.
pub fn verify_password_in<M: AsMut<[argon2::Block]>>(
    password: &str,
    phc: &str,
    memory: impl FnOnce(usize) -> Option<M>,
) -> bool {
    use argon2::password_hash::phc::PasswordHash;
    use argon2::{Algorithm, Argon2, Params, Version};
    if password.len() > MAX_PASSWORD_LEN * 4 {
        return false;
    }
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(hash.algorithm.as_str()),
        Params::try_from(&hash),
        hash.salt,
        hash.hash,
    ) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let blocks = params.block_count();
    let Some(mut memory) = memory(blocks) else {
        return false;
    };
    let Some(lent) = memory.as_mut().get_mut(..blocks) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        &salt,
        &mut out,
        lent,
    );
    hashed.is_ok() && bool::from(subtle::ConstantTimeEq::ct_eq(&out[..], expected.as_bytes()))
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

    fn check(password: &str) -> Result<(), UserRuleError> {
        check_new_password(password, "mei.lin", "Mei Lin")
    }

    fn is_too_easy(r: Result<(), UserRuleError>) -> bool {
        matches!(r, Err(UserRuleError::PasswordTooEasyToGuess { .. }))
    }

    #[test]
    fn a_password_has_at_least_ten_characters_counted_as_characters() {
        assert_eq!(check("Kx7#pQ2!z"), Err(UserRuleError::PasswordTooShort));
        // Nine characters of three bytes each: long in bytes, still too short.
        assert_eq!(
            check("倉庫數貨很快樂的人"),
            Err(UserRuleError::PasswordTooShort)
        );
        let message = check("short").unwrap_err().to_string();
        assert!(message.contains("too short") && message.contains("at least 10"));
    }

    #[test]
    fn a_password_has_at_most_the_maximum() {
        let long = "tangerine kettle orbit ".repeat(12);
        assert!(long.chars().count() > MAX_PASSWORD_LEN);
        assert_eq!(check(&long), Err(UserRuleError::PasswordTooLong));
        assert!(
            check(&long)
                .unwrap_err()
                .to_string()
                .contains("at most 256")
        );
    }

    #[test]
    fn common_passwords_are_too_easy_and_say_why() {
        let err = check("password123!").unwrap_err();
        assert!(is_too_easy(Err(err.clone())), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("too easy to guess"), "{message}");
        // zxcvbn's own words are passed on.
        assert!(message.contains("commonly used password"), "{message}");
        assert!(is_too_easy(check("xxxxxxxxxxxx")));
    }

    #[test]
    fn the_published_demo_passwords_and_their_variants_are_too_easy() {
        // Without the demo passwords as known words zxcvbn scores "backroom-admin" 3.
        for pw in [
            "backroom-admin",
            "backroom-ops",
            "Backroom-Admin!",
            "backroomadmin",
        ] {
            assert!(is_too_easy(check(pw)), "{pw}");
        }
    }

    #[test]
    fn the_users_own_name_is_too_easy() {
        // Without the names as known words zxcvbn scores "mei.lin12345" 3.
        for pw in ["mei.linmei.lin", "meilinmeilin", "mei.lin12345"] {
            assert!(is_too_easy(check(pw)), "{pw}");
        }
        // The same string is fine for someone whose name it is not.
        assert_eq!(
            check_new_password("quokka.zephyr", "tom", "Tom Berg"),
            Ok(())
        );
        assert!(is_too_easy(check_new_password(
            "quokka.zephyr",
            "quokka.zephyr",
            "Q. Zephyr"
        )));
    }

    #[test]
    fn a_passphrase_passes() {
        for pw in [
            "tangerine kettle orbit",
            "correct horse battery staple",
            "river-lantern-copper-7",
        ] {
            assert_eq!(check(pw), Ok(()), "{pw}");
        }
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
