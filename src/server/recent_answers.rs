//! List answers kept, already serialised, until the next commit. Consoles and integrations
//! poll the same pages of the order queue, and for a page of fifty orders reading the rows
//! and writing the JSON cost several times what the HTTP exchange does. An answer is given
//! again only while no commit of this process has happened since it was read; a change made
//! by another process (the `admin` commands) shows within [`FRESH_FOR`].
//!
//! Each answer carries an `ETag` (a hash of its body, so it stays right across restarts),
//! and a request whose `If-None-Match` names it is answered `304 Not Modified`.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// How long an answer is trusted against changes made by another process.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// More distinct requests than this within [`FRESH_FOR`] start the memory over, so that
/// searches with ever new text cannot grow it without end.
const MOST_KEPT: usize = 256;

pub struct RecentAnswers<K> {
    kept: Mutex<HashMap<K, Kept>>,
}

struct Kept {
    answer: Answer,
    /// The store's commit count when the read began.
    commits: u64,
    read_at: Instant,
}

/// A serialised JSON answer and its entity tag; cloning shares the body.
#[derive(Clone)]
pub struct Answer {
    body: Bytes,
    etag: HeaderValue,
}

impl<K> Default for RecentAnswers<K> {
    fn default() -> Self {
        RecentAnswers {
            kept: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq> RecentAnswers<K> {
    /// The answer kept for `key`, if no commit has happened since it was read (`commits` is
    /// the store's count now) and it is younger than [`FRESH_FOR`].
    pub fn get(&self, key: &K, commits: u64) -> Option<Answer> {
        self.lock()
            .get(key)
            .filter(|k| k.commits == commits && k.read_at.elapsed() < FRESH_FOR)
            .map(|k| k.answer.clone())
    }

    /// Keeps `body`, read from a snapshot begun when the store's count was `commits`.
    pub fn keep(&self, key: K, commits: u64, body: Vec<u8>) -> Answer {
        let answer = Answer::new(body);
        let mut kept = self.lock();
        if kept.len() >= MOST_KEPT {
            kept.retain(|_, k| k.commits == commits && k.read_at.elapsed() < FRESH_FOR);
            if kept.len() >= MOST_KEPT {
                kept.clear();
            }
        }
        kept.insert(
            key,
            Kept {
                answer: answer.clone(),
                commits,
                read_at: Instant::now(),
            },
        );
        answer
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Kept>> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Answer {
    fn new(body: Vec<u8>) -> Answer {
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
            .expect("quoted hex digits are a valid header value");
        Answer {
            body: Bytes::from(body),
            etag,
        }
    }

    /// `304` if the request's `If-None-Match` names this answer, else the answer itself.
    pub fn respond(self, request: &HeaderMap) -> Response {
        let not_modified = request
            .get_all(IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|list| names(list, &self.etag));
        let mut response = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let json = HeaderValue::from_static("application/json");
            ([(CONTENT_TYPE, json)], self.body).into_response()
        };
        let headers = response.headers_mut();
        headers.insert(ETAG, self.etag);
        // A client may keep the page, but must ask whether it is still the current one.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        response
    }
}

/// Whether an `If-None-Match` list names `etag`: `*`, or one of its tags compared weakly
/// (RFC 9110, 13.1.2: a `W/` prefix does not matter here).
fn names(list: &str, etag: &HeaderValue) -> bool {
    let ours = etag.as_bytes();
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etag_of(answers: &RecentAnswers<&'static str>, key: &'static str) -> HeaderValue {
        answers
            .get(&key, 0)
            .expect("kept")
            .respond(&HeaderMap::new())
            .headers()[ETAG]
            .clone()
    }

    #[test]
    fn an_answer_is_kept_until_the_next_commit() {
        let answers = RecentAnswers::default();
        answers.keep("page", 7, b"[1]".to_vec());
        assert!(answers.get(&"page", 7).is_some());
        assert!(
            answers.get(&"page", 8).is_none(),
            "a commit came after the read"
        );
        assert!(answers.get(&"other", 7).is_none());
    }

    #[test]
    fn the_etag_follows_the_body() {
        let answers = RecentAnswers::default();
        answers.keep("a", 0, b"[1]".to_vec());
        answers.keep("b", 0, b"[1]".to_vec());
        answers.keep("c", 0, b"[2]".to_vec());
        assert_eq!(etag_of(&answers, "a"), etag_of(&answers, "b"));
        assert_ne!(etag_of(&answers, "a"), etag_of(&answers, "c"));
    }

    #[test]
    fn if_none_match_naming_the_answer_gets_not_modified() {
        let answer = Answer::new(b"{\"items\":[]}".to_vec());
        let tag = answer.etag.to_str().expect("ascii").to_string();
        for (sent, expected) in [
            (tag.clone(), StatusCode::NOT_MODIFIED),
            (format!("W/{tag}"), StatusCode::NOT_MODIFIED),
            (format!("\"other\", {tag}"), StatusCode::NOT_MODIFIED),
            ("*".to_string(), StatusCode::NOT_MODIFIED),
            ("\"other\"".to_string(), StatusCode::OK),
        ] {
            let mut request = HeaderMap::new();
            request.insert(IF_NONE_MATCH, HeaderValue::from_str(&sent).expect("value"));
            let response = answer.clone().respond(&request);
            assert_eq!(response.status(), expected, "If-None-Match: {sent}");
            assert_eq!(response.headers()[ETAG], answer.etag);
        }
    }

    #[test]
    fn too_many_distinct_requests_start_the_memory_over() {
        let answers = RecentAnswers::default();
        for i in 0..MOST_KEPT as u64 {
            answers.keep(i, 1, b"[]".to_vec());
        }
        answers.keep(u64::MAX, 2, b"[]".to_vec());
        assert!(answers.lock().len() <= MOST_KEPT);
        assert!(answers.get(&u64::MAX, 2).is_some());
    }
}
