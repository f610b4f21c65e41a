//! Connections that would starve the server: ones that never finish their headers, idle
//! keep-alive ones, and a flood of idle ones against the real binary under a low
//! open-file limit.

mod common;
mod real_server;

use std::time::Duration;

use common::TestServer;
use real_server::{RealServer, raise_open_file_limit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; false if it is still open after `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(wait, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Raises this process's open-file limit; false (with a note) if the machine's hard limit
/// leaves too few for the floods here, which run side by side (about 4,000 at once).
fn enough_open_files() -> bool {
    let ours = raise_open_file_limit();
    if ours < 4_096 {
        eprintln!("skipped: the floods need 4,096 open files and the hard limit here is {ours}");
        return false;
    }
    true
}

/// `/healthz` answers 200 at all (within 20 s: a bound on waiting, not a speed goal).
async fn assert_healthy(http: &reqwest::Client, base: &str) {
    let res = tokio::time::timeout(
        Duration::from_secs(20),
        http.get(format!("{base}/healthz")).send(),
    )
    .await
    .expect("healthz answered at all")
    .expect("healthz request");
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn half_sent_headers_and_idle_keep_alive_connections_are_closed() {
    let s = TestServer::start().await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut silent = TcpStream::connect(&addr).await.expect("connect");
    let mut half = TcpStream::connect(&addr).await.expect("connect");
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut idle = TcpStream::connect(&addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut answer = [0u8; 12];
    idle.read_exact(&mut answer).await.expect("an answer");
    assert_eq!(&answer, b"HTTP/1.1 200");
    let wait = Duration::from_secs(40);
    let (silent, half, idle) = tokio::join!(
        closed_within(&mut silent, wait),
        closed_within(&mut half, wait),
        closed_within(&mut idle, wait),
    );
    assert!(silent, "a connection that sends nothing is closed");
    assert!(
        half,
        "a connection that never finishes its headers is closed"
    );
    assert!(idle, "a kept-alive connection left idle is closed");
}

#[tokio::test]
async fn healthz_answers_while_idle_connections_flood_a_low_open_file_limit() {
    let Some(server) = RealServer::start(env!("CARGO_BIN_EXE_backroom"), Some(1024)) else {
        return;
    };
    if !enough_open_files() {
        return;
    }
    let mut idle = Vec::with_capacity(2_000);
    for _ in 0..2_000 {
        match TcpStream::connect(server.addr).await {
            Ok(stream) => idle.push(stream),
            Err(e) => panic!("connect {}: {e}", idle.len()),
        }
    }
    assert_healthy(&reqwest::Client::new(), &server.base).await;
    drop(idle);
}

/// 900 connections from four addresses, each opened with `opening` and answered or not:
/// a newcomer from a fifth address still gets `/healthz` answered, ten times.
async fn newcomers_are_answered_beside(opening: &'static [u8], read_answer: bool) {
    let Some(server) = RealServer::start(env!("CARGO_BIN_EXE_backroom"), Some(1024)) else {
        return;
    };
    if !enough_open_files() {
        return;
    }
    let mut held = Vec::new();
    for n in 0..900u32 {
        let address = std::net::IpAddr::from([127, 0, 0, 10 + (n % 4) as u8]);
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(std::net::SocketAddr::new(address, 0))
            .expect("bind");
        let Ok(mut stream) = socket.connect(server.addr).await else {
            continue;
        };
        if stream.write_all(opening).await.is_err() {
            continue;
        }
        if read_answer {
            let mut answer = [0u8; 512];
            let _ = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await;
        }
        held.push(stream);
    }
    let victim = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 99]))
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    for _ in 0..10 {
        assert_healthy(&victim, &server.base).await;
    }
    drop(held);
}

/// Connections that asked once and then sit idle, kept alive: near the cap the idle ones
/// give way.
#[tokio::test]
async fn healthz_answers_while_kept_alive_connections_fill_the_cap() {
    newcomers_are_answered_beside(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", true).await;
}

/// Requests whose body trickles in (10 bytes of 1,000, then nothing) are as slow as a
/// trickled head: near the cap they give way too.
#[tokio::test]
async fn healthz_answers_while_trickled_bodies_fill_the_cap() {
    newcomers_are_answered_beside(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"username\"",
        false,
    )
    .await;
}

/// Event streams are never closed to make room, so all of them together may hold half the
/// connection cap: with 200 open files (a cap of 136), the 69th stream is refused even
/// though one user may hold 200.
#[tokio::test]
async fn event_streams_together_hold_at_most_half_the_connections() {
    let Some(server) = RealServer::start(env!("CARGO_BIN_EXE_backroom"), Some(200)) else {
        return;
    };
    let http = reqwest::Client::new();
    let signed_in: serde_json::Value = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({ "username": "admin", "password": "backroom-admin" }))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("token");
    let token = signed_in["token"].as_str().expect("token").to_string();
    // From four addresses: one may hold only a quarter of the cap.
    let clients: Vec<reqwest::Client> = (40..44u8)
        .map(|last| {
            reqwest::Client::builder()
                .local_address(std::net::IpAddr::from([127, 0, 0, last]))
                .build()
                .expect("client")
        })
        .collect();
    let open = |n: usize| {
        clients[n % clients.len()]
            .get(format!("{}/api/v1/events", server.base))
            .bearer_auth(&token)
            .send()
    };
    let mut streams = Vec::new();
    for n in 0..68 {
        let res = open(n).await.expect("stream");
        assert_eq!(res.status(), 200, "stream {n}");
        streams.push(res);
    }
    let refused = open(68).await.expect("request");
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    assert_healthy(&http, &server.base).await;
}
