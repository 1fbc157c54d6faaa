//! "Explicit TLS if available", built the way every caller builds a
//! connection (a `ConnectSpec`), against the in-process libunftp with and
//! without TLS.

mod support;

use std::sync::{Arc, Mutex};

use ferry::ftp::log::{LogLine, SharedLog};
use ferry::ftp::{ConnectOptions, FtpError, Session, TrustPolicy, tls};
use ferry::sites::{ConnectSpec, ConnectionMode, LogonType, Protocol};
use support::retry_libunftp_tls_race;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

fn capture_log() -> (SharedLog, Arc<Mutex<Vec<LogLine>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let log: SharedLog = Arc::new(move |l: LogLine| sink.lock().unwrap().push(l));
    (log, lines)
}

fn options(server: &TestServer, protocol: Protocol, trust: TrustPolicy) -> ConnectOptions {
    ConnectSpec {
        protocol,
        host: "127.0.0.1".into(),
        port: Some(server.addr.port()),
        logon: LogonType::Normal,
        user: USER.into(),
        password: PASSWORD.into(),
        mode: ConnectionMode::Passive,
        trust,
        ..ConnectSpec::default()
    }
    .options()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_if_available_encrypts_when_the_server_offers_it() {
    let server = TestServer::start(ServerOptions {
        tls: true,
        active: false,
    })
    .await;
    let hex = server.cert_sha256_hex.as_deref().expect("a TLS server");
    let pinned = TrustPolicy::Pinned(vec![tls::parse_fingerprint(hex).unwrap()]);
    let (log, lines) = capture_log();
    let mut s = retry_libunftp_tls_race(|| {
        Session::connect(
            options(&server, Protocol::ExplicitTlsIfAvailable, pinned.clone()),
            log.clone(),
        )
    })
    .await
    .unwrap();
    assert!(s.is_encrypted());
    assert!(s.certificate().is_some());
    s.list(None).await.unwrap();
    let texts: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| l.text.clone())
        .collect();
    assert!(
        !texts.iter().any(|t| t.contains("does not offer TLS")),
        "{texts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_if_available_continues_in_plain_ftp_when_auth_is_refused_and_says_so() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let (log, lines) = capture_log();
    let opts = options(
        &server,
        Protocol::ExplicitTlsIfAvailable,
        TrustPolicy::SystemRoots,
    );
    let mut s = Session::connect(opts, log).await.unwrap();
    assert!(!s.is_encrypted());
    assert!(s.certificate().is_none());
    s.list(None).await.unwrap();
    let texts: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| l.text.clone())
        .collect();
    assert!(
        texts.iter().any(|t| t.starts_with("AUTH TLS")),
        "{texts:#?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("does not offer TLS") && t.contains("plain FTP")),
        "{texts:#?}"
    );
    // No PBSZ/PROT without TLS.
    assert!(!texts.iter().any(|t| t.starts_with("PROT")), "{texts:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_explicit_tls_still_refuses_a_server_without_it() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let opts = options(&server, Protocol::ExplicitTls, TrustPolicy::SystemRoots);
    let err = Session::connect(opts, ferry::ftp::log::null_log())
        .await
        .err()
        .expect("no plain fallback when TLS is required");
    assert!(matches!(err, FtpError::Tls { .. }), "{err}");
}
