//! Following the server's event stream (SSE). Reading the stream — characters split between
//! chunks, `\n`, `\r\n` or `\r` line ends, comments, `data:` over several lines — is
//! eventsource-stream's; reconnecting with the last id is the caller's loop, so nothing is
//! missed.

use std::pin::Pin;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};

use crate::api::FeedEvent;

use super::{Client, ClientError};

type Events<E> = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<E>>> + Send>>;

pub struct EventFeed {
    events: Events<reqwest::Error>,
}

impl Client {
    /// Opens the stream after event `after` (all new events when `None`).
    pub async fn follow_events(&self, after: Option<i64>) -> Result<EventFeed, ClientError> {
        let res = self.open_stream("api/v1/events", after).await?;
        Ok(EventFeed {
            events: Box::pin(res.bytes_stream().eventsource()),
        })
    }
}

impl EventFeed {
    /// The next event; `None` when the stream ended (the server stopped or the link broke).
    pub async fn next(&mut self) -> Option<FeedEvent> {
        next_event(&mut self.events).await
    }
}

/// The next event with JSON data. Events without (keep-alives) are skipped; a stream that
/// cannot be read any further ends, so the caller reconnects after the last event it had.
async fn next_event<E>(events: &mut Events<E>) -> Option<FeedEvent> {
    loop {
        match events.next().await? {
            Ok(event) => {
                if let Ok(event) = serde_json::from_str(&event.data) {
                    return Some(event);
                }
            }
            Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    use super::*;

    /// What [`next_event`] makes of these blocks, read as one stream.
    async fn parsed(blocks: Vec<&'static str>) -> Vec<FeedEvent> {
        let chunks = blocks
            .into_iter()
            .map(|b| Ok::<_, std::convert::Infallible>(b.as_bytes()));
        let mut events: Events<_> = Box::pin(futures_util::stream::iter(chunks).eventsource());
        let mut seen = Vec::new();
        while let Some(event) = next_event(&mut events).await {
            seen.push(event);
        }
        seen
    }

    #[tokio::test]
    async fn blocks_parse_and_keep_alives_are_skipped() {
        let block = "id: 7\nevent: order.created\ndata: {\"id\":7,\"at\":\"2026-11-24T10:00:00Z\",\"kind\":\"order.created\",\"entity_id\":\"o1\",\"payload\":{}}\n\n";
        let e = &parsed(vec![block]).await[0];
        assert_eq!(
            (e.id, e.kind.as_str(), e.entity_id.as_str()),
            (7, "order.created", "o1")
        );
        assert!(parsed(vec![":\n\n"]).await.is_empty());
        assert!(parsed(vec!["data: not json\n\n"]).await.is_empty());
        assert_eq!(
            parsed(vec![":\n\n", "data: not json\n\n", block])
                .await
                .len(),
            1
        );
    }

    /// Serves one event-stream response on 127.0.0.1, each piece its own HTTP chunk (a
    /// chunk never reaches the client joined to the next), then ends it. Answers the
    /// request head the client sent, and the base URL.
    fn serve_in_chunks(pieces: Vec<Vec<u8>>) -> (std::sync::mpsc::Receiver<String>, String) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let mut head = String::new();
            let mut reader = BufReader::new(conn.try_clone().expect("the connection"));
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let _ = tx.send(head);
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                  transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
            );
            for piece in pieces {
                let _ = conn.write_all(format!("{:x}\r\n", piece.len()).as_bytes());
                let _ = conn.write_all(&piece);
                let _ = conn.write_all(b"\r\n");
                let _ = conn.flush();
                // Separate writes, so the pieces also come in separate reads.
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = conn.write_all(b"0\r\n\r\n");
        });
        (rx, url)
    }

    /// Every event of the feed until it ends, or what came before it stalled.
    async fn all_events(url: &str, after: Option<i64>) -> Vec<FeedEvent> {
        let client = Client::new(url).expect("a client");
        let mut feed = client.follow_events(after).await.expect("the stream opens");
        let mut events = Vec::new();
        while let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(5), feed.next()).await
        {
            events.push(event);
        }
        events
    }

    #[tokio::test]
    async fn a_character_split_between_two_chunks_arrives_whole() {
        let note = "仓库盘点完成，缺货 3 件 📦✅ — café";
        let event = FeedEvent {
            id: 41,
            at: "2026-11-24T10:00:00Z".into(),
            kind: "ticket.created".into(),
            entity_id: "工单-7".into(),
            payload: serde_json::json!({ "subject": note }),
        };
        let json = serde_json::to_string(&event).expect("json");
        let wire = format!("id: 41\nevent: ticket.created\ndata: {json}\n\n");
        // Cut every multi-byte character after its first byte.
        let mut pieces = Vec::new();
        let mut start = 0;
        for (at, c) in wire.char_indices() {
            if c.len_utf8() > 1 {
                pieces.push(wire.as_bytes()[start..at + 1].to_vec());
                start = at + 1;
            }
        }
        pieces.push(wire.as_bytes()[start..].to_vec());
        assert!(pieces.len() > note.chars().filter(|c| !c.is_ascii()).count());
        let (head, url) = serve_in_chunks(pieces);

        let events = all_events(&url, Some(40)).await;

        assert_eq!(events, [event]);
        let head = head.recv().expect("the request").to_ascii_lowercase();
        assert!(head.contains("last-event-id: 40\r\n"), "{head}");
    }

    #[tokio::test]
    async fn crlf_and_cr_line_ends_multi_line_data_and_comments_are_read() {
        let first = "{\"id\":8,\"at\":\"2026-11-24T10:00:00Z\",\"kind\":\"order.created\",";
        let wire = [
            ": keep-alive\r\n\r\n".to_string(),
            "retry: 5000\r\nid: 8\r\nevent: order.created\r\n".into(),
            format!("data: {first}\r\ndata:\"entity_id\":\"o8\",\"payload\":{{\"lines\":2}}}}\r\n\r\n"),
            "id: 9\revent: order.status\rdata: {\"id\":9,\"at\":\"2026-11-24T10:01:00Z\",".into(),
            "\"kind\":\"order.status\",\"entity_id\":\"o8\",\"payload\":{}}\r\r".into(),
            // The CR of a CRLF in one chunk, its LF in the next.
            "data: {\"id\":10,\"at\":\"2026-11-24T10:02:00Z\",\"kind\":\"order.status\",\"entity_id\":\"o9\",\"payload\":{}}\r".into(),
            "\n\r\n".into(),
        ];
        let (_, url) = serve_in_chunks(wire.iter().map(|p| p.as_bytes().to_vec()).collect());

        let events = all_events(&url, None).await;

        let seen: Vec<(i64, &str, &str)> = events
            .iter()
            .map(|e| (e.id, e.kind.as_str(), e.entity_id.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (8, "order.created", "o8"),
                (9, "order.status", "o8"),
                (10, "order.status", "o9")
            ]
        );
        assert_eq!(events[0].payload, serde_json::json!({ "lines": 2 }));
    }
}
