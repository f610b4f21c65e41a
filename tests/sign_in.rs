//! Sign-in under attack, over real HTTP: lock-outs that end, a failure budget per client
//! address that costs no password check, `X-Forwarded-For` only from trusted proxies, and
//! a bounded queue of password checks.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use backroom::domain::sign_in::AddressBudget;
use backroom::server::ServerConfig;
use common::{TestServer, expect_problem};
use serde_json::json;

/// A client whose connections come from `address` (any of 127.0.0.0/8 on loopback).
fn client_from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(address))
        .build()
        .expect("client")
}

async fn sign_in(
    s: &TestServer,
    http: &reqwest::Client,
    user: &str,
    password: &str,
) -> reqwest::Response {
    http.post(s.url("/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await
        .expect("sign-in request")
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds")
}

#[tokio::test]
async fn a_lock_out_ends_and_the_next_failure_doubles_it() {
    let s = TestServer::start_with(ServerConfig {
        free_login_attempts: 2,
        login_lockout: Duration::from_secs(1),
        ..ServerConfig::default()
    })
    .await;
    for _ in 0..2 {
        let res = sign_in(&s, &s.http, "ops", "guess-guess").await;
        expect_problem(res, 401, "/problems/invalid-credentials").await;
    }
    let res = sign_in(&s, &s.http, "ops", "backroom-ops").await;
    assert_eq!(retry_after(&res), 1);
    expect_problem(res, 429, "/problems/too-many-attempts").await;

    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The lock has ended: one try is allowed, and its failure locks for twice as long.
    let res = sign_in(&s, &s.http, "ops", "guess-again").await;
    expect_problem(res, 401, "/problems/invalid-credentials").await;
    let res = sign_in(&s, &s.http, "ops", "backroom-ops").await;
    assert_eq!(retry_after(&res), 2, "doubled");
    expect_problem(res, 429, "/problems/too-many-attempts").await;

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = sign_in(&s, &s.http, "ops", "backroom-ops").await;
    assert_eq!(res.status(), 200, "the right password after the lock");
    // The success wiped the slate: the free attempts are back.
    for _ in 0..2 {
        let res = sign_in(&s, &s.http, "ops", "guess-guess").await;
        expect_problem(res, 401, "/problems/invalid-credentials").await;
    }
}

#[tokio::test]
async fn an_address_over_its_budget_is_refused_without_a_check_but_names_known_there_pass() {
    let s = TestServer::start_with(ServerConfig {
        address_budget: AddressBudget {
            most: 3,
            regain_one: Duration::from_secs(600),
        },
        ..ServerConfig::default()
    })
    .await;
    let desk = client_from([127, 0, 0, 7]);
    let res = sign_in(&s, &desk, "cs", "backroom-cs").await;
    assert_eq!(res.status(), 200, "cs signs in from the desk");
    for n in 0..3 {
        let res = sign_in(&s, &desk, &format!("nobody{n}"), "guess-guess").await;
        expect_problem(res, 401, "/problems/invalid-credentials").await;
    }
    let checks = s.state.password_checks_done();
    let res = sign_in(&s, &desk, "nobody9", "guess-guess").await;
    assert_eq!(retry_after(&res), 600);
    let problem = expect_problem(res, 429, "/problems/too-many-attempts").await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("this address")),
        "{problem}"
    );
    // A name that cannot exist is refused the same way.
    let res = sign_in(&s, &desk, "no such name!", "guess-guess").await;
    expect_problem(res, 429, "/problems/too-many-attempts").await;
    assert_eq!(
        s.state.password_checks_done(),
        checks,
        "refused without an Argon2 check"
    );
    let res = sign_in(&s, &desk, "cs", "backroom-cs").await;
    assert_eq!(res.status(), 200, "signed in from this address lately");
    let res = sign_in(&s, &desk, "ops", "backroom-ops").await;
    expect_problem(res, 429, "/problems/too-many-attempts").await;
    let res = sign_in(&s, &client_from([127, 0, 0, 8]), "ops", "backroom-ops").await;
    assert_eq!(res.status(), 200, "another address has its own budget");
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let s = TestServer::start_with(ServerConfig {
        address_budget: AddressBudget {
            most: 2,
            regain_one: Duration::from_secs(600),
        },
        trusted_proxies: vec![IpAddr::from([127, 0, 0, 20])],
        ..ServerConfig::default()
    })
    .await;
    let guess = |http: reqwest::Client, forwarded: &'static str| {
        let url = s.url("/api/v1/auth/login");
        async move {
            http.post(url)
                .header("x-forwarded-for", forwarded)
                .json(&json!({ "username": "nobody", "password": "guess-guess" }))
                .send()
                .await
                .expect("request")
                .status()
                .as_u16()
        }
    };
    let proxy = client_from([127, 0, 0, 20]);
    assert_eq!(guess(proxy.clone(), "198.51.100.1").await, 401);
    assert_eq!(guess(proxy.clone(), "198.51.100.1").await, 401);
    assert_eq!(guess(proxy.clone(), "198.51.100.1").await, 429);
    assert_eq!(
        guess(proxy.clone(), "198.51.100.2").await,
        401,
        "behind the proxy, each client has its own budget"
    );
    // From anyone else the header is ignored: writing a new address each time does not
    // buy a new budget.
    let other = client_from([127, 0, 0, 21]);
    assert_eq!(guess(other.clone(), "203.0.113.1").await, 401);
    assert_eq!(guess(other.clone(), "203.0.113.2").await, 401);
    assert_eq!(guess(other.clone(), "203.0.113.3").await, 429);
}

#[tokio::test]
async fn sign_ins_beyond_the_check_queue_get_503_with_retry_after() {
    let s = TestServer::start_with(ServerConfig {
        address_budget: AddressBudget {
            most: u32::MAX,
            regain_one: Duration::from_secs(1),
        },
        ..ServerConfig::default()
    })
    .await;
    let mut asked = Vec::new();
    for n in 0..200 {
        let http = s.http.clone();
        let url = s.url("/api/v1/auth/login");
        asked.push(tokio::spawn(async move {
            http.post(url)
                .json(&json!({ "username": format!("flood{n}"), "password": "guess-guess" }))
                .send()
                .await
                .expect("request")
        }));
    }
    let mut refused = 0u64;
    for a in asked {
        let res = a.await.expect("task");
        match res.status().as_u16() {
            401 => {}
            503 => {
                refused += 1;
                assert_eq!(retry_after(&res), 1);
                expect_problem(res, 503, "/problems/unavailable").await;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        refused > 0,
        "200 at once is more than the cores and the queue of 64"
    );
    assert!(s.state.password_checks_done() <= 200 - refused);
}

#[tokio::test]
async fn guesses_from_elsewhere_do_not_lock_a_user_out_at_their_own_address() {
    let s = TestServer::start().await;
    let desk = client_from([127, 0, 0, 5]);
    assert_eq!(
        sign_in(&s, &desk, "ops", "backroom-ops").await.status(),
        200
    );
    let attacker = client_from([127, 0, 0, 66]);
    for _ in 0..5 {
        let res = sign_in(&s, &attacker, "ops", "guess-guess").await;
        expect_problem(res, 401, "/problems/invalid-credentials").await;
    }
    let res = sign_in(&s, &client_from([127, 0, 0, 67]), "ops", "backroom-ops").await;
    expect_problem(res, 429, "/problems/too-many-attempts").await;
    assert_eq!(
        sign_in(&s, &desk, "ops", "backroom-ops").await.status(),
        200,
        "the name is locked for the guessers, not for its user at their own desk"
    );
}

#[tokio::test]
async fn a_burst_from_one_address_gets_no_more_checks_than_its_budget() {
    let s = TestServer::start_with(ServerConfig {
        address_budget: AddressBudget {
            most: 5,
            regain_one: Duration::from_secs(600),
        },
        ..ServerConfig::default()
    })
    .await;
    let burst = client_from([127, 0, 0, 30]);
    let mut asked = Vec::new();
    for n in 0..40 {
        let (http, url) = (burst.clone(), s.url("/api/v1/auth/login"));
        asked.push(tokio::spawn(async move {
            http.post(url)
                .json(&json!({ "username": format!("burst{n}"), "password": "guess-guess" }))
                .send()
                .await
                .expect("request")
                .status()
                .as_u16()
        }));
    }
    let mut checked = 0;
    for a in asked {
        match a.await.expect("task") {
            401 => checked += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(checked <= 5, "{checked} checked; the budget is 5");
    assert!(s.state.password_checks_done() <= 5);
}
