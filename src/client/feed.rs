//! Following the server's event stream (SSE): parsing `id:`/`event:`/`data:` blocks into
//! events. Reconnecting with the last id is the caller's loop, so nothing is missed.

use crate::api::FeedEvent;

use super::{Client, ClientError};

pub struct EventFeed {
    res: reqwest::Response,
    buffer: String,
}

impl Client {
    /// Opens the stream after event `after` (all new events when `None`).
    pub async fn follow_events(&self, after: Option<i64>) -> Result<EventFeed, ClientError> {
        let res = self.open_stream("api/v1/events", after).await?;
        Ok(EventFeed {
            res,
            buffer: String::new(),
        })
    }
}

impl EventFeed {
    /// The next event; `None` when the stream ended (the server stopped or the link broke).
    pub async fn next(&mut self) -> Option<FeedEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse_block(&block) {
                    return Some(event);
                }
                continue;
            }
            match self.res.chunk().await {
                Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}

/// One SSE block; comments (keep-alives) and blocks without JSON data are skipped.
fn parse_block(block: &str) -> Option<FeedEvent> {
    let data: String = block
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str(&data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_parse_and_keep_alives_are_skipped() {
        let block = "id: 7\nevent: order.created\ndata: {\"id\":7,\"at\":\"2026-11-24T10:00:00Z\",\"kind\":\"order.created\",\"entity_id\":\"o1\",\"payload\":{}}\n\n";
        let e = parse_block(block).unwrap();
        assert_eq!(
            (e.id, e.kind.as_str(), e.entity_id.as_str()),
            (7, "order.created", "o1")
        );
        assert!(parse_block(":\n\n").is_none());
        assert!(parse_block("data: not json\n\n").is_none());
    }
}
