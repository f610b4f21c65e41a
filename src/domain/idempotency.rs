//! Whether a retry under an `Idempotency-Key` asks what the first request asked.
//!
//! A request is remembered by a fingerprint of its route and its body in canonical JSON
//! (keys sorted, numbers as read), marked with [`CANONICAL`]. Records from before that
//! fingerprint hold a hash of text that an upgrade can change (a struct's `Debug` form, the
//! raw bytes): a change waiting in a console's outbox across the upgrade would be refused as
//! key reuse although it was applied. Those records match on their key alone.

/// What begins every fingerprint of a route and canonical JSON body.
pub const CANONICAL: &str = "c1:";

/// Whether the request fingerprinted `asked` is the one remembered as `stored`.
pub fn same_request(stored: &str, asked: &str) -> bool {
    !stored.starts_with(CANONICAL) || stored == asked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_fingerprints_must_be_equal() {
        assert!(same_request("c1:ab", "c1:ab"));
        assert!(!same_request("c1:ab", "c1:cd"));
    }

    #[test]
    fn records_from_before_match_on_their_key_alone() {
        assert!(same_request("5f2e…old debug hash", "c1:ab"));
        assert!(same_request("", "c1:ab"));
    }
}
