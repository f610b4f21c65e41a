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
    let ours = raise_open_file_limit();
    assert!(
        ours > 2_100,
        "this test needs 2,100 open files; the hard limit is {ours}"
    );
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

/// Connections that asked once and then sit idle, kept alive, from a few addresses: near
/// the cap the idle ones give way, so a newcomer is still answered.
#[tokio::test]
async fn healthz_answers_while_kept_alive_connections_fill_the_cap() {
    let Some(server) = RealServer::start(env!("CARGO_BIN_EXE_backroom"), Some(1024)) else {
        return;
    };
    raise_open_file_limit();
    let mut kept = Vec::new();
    for n in 0..900u32 {
        let address = std::net::IpAddr::from([127, 0, 0, 10 + (n % 4) as u8]);
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(std::net::SocketAddr::new(address, 0))
            .expect("bind");
        let Ok(mut stream) = socket.connect(server.addr).await else {
            continue;
        };
        if stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .is_err()
        {
            continue;
        }
        let mut answer = [0u8; 512];
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await;
        kept.push(stream);
    }
    let victim = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 99]))
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    for _ in 0..10 {
        assert_healthy(&victim, &server.base).await;
    }
    drop(kept);
}
