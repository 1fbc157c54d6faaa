//! The protocol engine against a real FTP server (libunftp, in-process):
//! login, listings, transfers in both data modes and over TLS, resume, and
//! file operations.

mod support;

use std::sync::{Arc, Mutex};

use ferry::ftp::log::{LogKind, LogLine, SharedLog};
use ferry::ftp::{
    ConnectOptions, DataMode, EntryKind, FtpError, Security, Session, TrustPolicy, tls,
};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::{random_bytes, retry_libunftp_tls_race, sha256_hex};

/// A log sink that keeps every line, to check what was sent.
fn capture_log() -> (SharedLog, Arc<Mutex<Vec<LogLine>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let log: SharedLog = Arc::new(move |l: LogLine| sink.lock().unwrap().push(l));
    (log, lines)
}

fn options(server: &TestServer, mode: DataMode) -> ConnectOptions {
    let mut o = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    o.mode = mode;
    o
}

async fn connect(server: &TestServer, mode: DataMode) -> Session {
    Session::connect(options(server, mode), ferry::ftp::log::null_log())
        .await
        .expect("login to the test server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_the_right_password_succeeds_and_logs_no_password() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let (log, lines) = capture_log();
    let mut s = Session::connect(options(&server, DataMode::Passive), log)
        .await
        .unwrap();
    assert_eq!(s.pwd().await.unwrap(), b"/");
    s.quit().await.unwrap();
    let lines = lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.kind == LogKind::Sent && l.text == "PASS ****")
    );
    assert!(
        lines.iter().all(|l| !l.text.contains(PASSWORD)),
        "password leaked into the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_a_wrong_password_is_a_login_error() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let mut o = options(&server, DataMode::Passive);
    o.password = "wrong".into();
    let err = Session::connect(o, ferry::ftp::log::null_log())
        .await
        .err()
        .expect("must fail");
    assert!(matches!(err, FtpError::Login { code: 530, .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("check the user name and password"), "{text}");
    assert!(
        text.ends_with(&format!("({USER}@127.0.0.1:{})", server.addr.port())),
        "{text}"
    );
}

async fn round_trip(server: &TestServer, mode: DataMode, len: usize) {
    let mut s = connect(server, mode).await;
    let data = random_bytes(len, len as u64 + 7);
    let up = s
        .upload(&mut data.as_slice(), "up.bin", 0, false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(up, len as u64);
    assert_eq!(
        sha256_hex(&std::fs::read(server.path("up.bin")).unwrap()),
        sha256_hex(&data)
    );
    let mut back = Vec::new();
    let mut last = 0;
    let down = s
        .download("up.bin", 0, &mut back, &mut |n| last = n)
        .await
        .unwrap();
    assert_eq!(down, len as u64);
    assert_eq!(last, len as u64, "progress reports the final count");
    assert_eq!(sha256_hex(&back), sha256_hex(&data));
    assert_eq!(s.size("up.bin").await.unwrap(), len as u64);
    // The session is still usable after two transfers.
    let names: Vec<_> = s
        .list(None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert!(names.contains(&b"up.bin".to_vec()));
    s.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_upload_and_download_are_byte_exact() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    round_trip(&server, DataMode::Passive, 3 * 1024 * 1024 + 17).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_upload_and_download_are_byte_exact() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: true,
    })
    .await;
    round_trip(&server, DataMode::Active, 2 * 1024 * 1024 + 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_files_transfer_in_both_directions() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    round_trip(&server, DataMode::Passive, 0).await;
}

fn tls_options(server: &TestServer, trust: TrustPolicy) -> ConnectOptions {
    let mut o = options(server, DataMode::Passive);
    o.security = Security::Explicit;
    o.trust = trust;
    o
}

fn pinned(server: &TestServer) -> TrustPolicy {
    let hex = server
        .cert_sha256_hex
        .as_deref()
        .expect("tls server has a cert");
    TrustPolicy::Pinned(vec![tls::parse_fingerprint(hex).unwrap()])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_tls_with_a_pinned_certificate_transfers_byte_exact() {
    let server = TestServer::start(ServerOptions {
        tls: true,
        active: false,
    })
    .await;
    let (log, lines) = capture_log();
    let mut s = retry_libunftp_tls_race(|| {
        Session::connect(tls_options(&server, pinned(&server)), log.clone())
    })
    .await
    .unwrap();
    let cert = s.certificate().expect("certificate exposed").clone();
    assert_eq!(Some(cert.fingerprint_hex()), server.cert_sha256_hex);
    let data = random_bytes(1024 * 1024 + 5, 99);
    s.upload(&mut data.as_slice(), "secret.bin", 0, false, &mut |_| {})
        .await
        .unwrap();
    let mut back = Vec::new();
    s.download("secret.bin", 0, &mut back, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(sha256_hex(&back), sha256_hex(&data));
    s.quit().await.unwrap();
    let lines = lines.lock().unwrap();
    for cmd in ["AUTH TLS", "PBSZ 0", "PROT P"] {
        assert!(
            lines
                .iter()
                .any(|l| l.kind == LogKind::Sent && l.text == cmd),
            "{cmd} not sent"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.text.starts_with("Data connection encrypted"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_self_signed_certificate_is_refused_with_its_details() {
    let server = TestServer::start(ServerOptions {
        tls: true,
        active: false,
    })
    .await;
    let err = retry_libunftp_tls_race(|| {
        Session::connect(
            tls_options(&server, TrustPolicy::SystemRoots),
            ferry::ftp::log::null_log(),
        )
    })
    .await
    .err()
    .expect("an unknown certificate must not be accepted");
    let FtpError::UntrustedCertificate { cert, reason, .. } = &err else {
        panic!("wrong error: {err}");
    };
    assert_eq!(reason, "the server's certificate is self-signed");
    assert_eq!(Some(cert.fingerprint_hex()), server.cert_sha256_hex);
    assert!(cert.subject.contains("localhost") || !cert.subject.is_empty());
    assert!(err.to_string().contains(&cert.fingerprint_colon()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pinned_fingerprint_is_refused() {
    let server = TestServer::start(ServerOptions {
        tls: true,
        active: false,
    })
    .await;
    let err = retry_libunftp_tls_race(|| {
        Session::connect(
            tls_options(&server, TrustPolicy::Pinned(vec![[7u8; 32]])),
            ferry::ftp::log::null_log(),
        )
    })
    .await
    .err()
    .expect("a different certificate must not be accepted");
    assert!(
        matches!(err, FtpError::UntrustedCertificate { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_continues_from_the_middle_in_both_directions() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let mut s = connect(&server, DataMode::Passive).await;
    let data = random_bytes(1_000_003, 5);
    let half = 400_001usize;

    // Download: the first part is already here; fetch the rest with REST.
    std::fs::write(server.path("full.bin"), &data).unwrap();
    let mut local = data[..half].to_vec();
    let got = s
        .download("full.bin", half as u64, &mut local, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(got as usize, data.len() - half);
    assert_eq!(sha256_hex(&local), sha256_hex(&data));

    // Upload: the server has the first part; send the rest with REST + STOR.
    std::fs::write(server.path("partial.bin"), &data[..half]).unwrap();
    assert_eq!(s.size("partial.bin").await.unwrap(), half as u64);
    let mut rest = &data[half..];
    s.upload(&mut rest, "partial.bin", half as u64, false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        sha256_hex(&std::fs::read(server.path("partial.bin")).unwrap()),
        sha256_hex(&data)
    );
    s.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mkdir_rename_delete_and_listing_reflect_the_server() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let mut s = connect(&server, DataMode::Passive).await;
    s.mkdir("docs").await.unwrap();
    assert!(server.path("docs").is_dir());
    std::fs::write(server.path("docs/a.txt"), b"hello").unwrap();
    s.rename("docs/a.txt", "docs/b.txt").await.unwrap();
    assert!(server.path("docs/b.txt").is_file() && !server.path("docs/a.txt").exists());

    let entries = s.list(Some(b"docs")).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, b"b.txt");
    assert_eq!(entries[0].kind, EntryKind::File);
    assert_eq!(entries[0].size, Some(5));

    s.cwd("docs").await.unwrap();
    assert_eq!(s.pwd().await.unwrap(), b"/docs");
    s.cdup().await.unwrap();
    assert_eq!(s.pwd().await.unwrap(), b"/");

    let missing = s.delete("docs/nope.txt").await.unwrap_err();
    assert_eq!(missing.reply_code().map(|c| c / 100), Some(5), "{missing}");
    s.delete("docs/b.txt").await.unwrap();
    s.rmdir("docs").await.unwrap();
    assert!(!server.path("docs").exists());
    let root = s.list(None).await.unwrap();
    assert!(root.iter().all(|e| e.name != b"docs"));
    s.noop().await.unwrap();
    s.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrieving_a_missing_file_fails_fast_and_keeps_the_session() {
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: true,
    })
    .await;
    for mode in [DataMode::Passive, DataMode::Active] {
        let mut s = connect(&server, mode).await;
        let started = std::time::Instant::now();
        let mut sink = Vec::new();
        let err = s
            .download("missing.bin", 0, &mut sink, &mut |_| {})
            .await
            .unwrap_err();
        assert_eq!(err.reply_code().map(|c| c / 100), Some(5), "{mode}: {err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{mode}: waited for a deadline"
        );
        s.noop().await.unwrap();
        s.quit().await.unwrap();
    }
}

/// A big upload cancelled midway, then retried, five times over, as a user
/// pressing Cancel and Retry does. libunftp answers ABOR only once the data
/// connection is closed, and sends the transfer's 226 from a task of its
/// own, before or after the reply to the next command. After each cancel
/// the session is in step (SIZE gets the server's real size, a listing
/// works), and each retry resumes from that size, until the file is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_upload_leaves_the_session_in_step_and_resumes_from_the_servers_size() {
    const LEN: usize = 24 << 20;
    const CANCEL_AFTER: u64 = 3 << 20;
    let server = TestServer::start(ServerOptions {
        tls: false,
        active: false,
    })
    .await;
    let mut s = connect(&server, DataMode::Passive).await;
    let data = random_bytes(LEN, 77);
    let (cancel, watch) = tokio::sync::watch::channel(false);
    s.set_cancel(Some(watch));
    let mut offset = 0u64;
    let mut progressed = false;
    for round in 0..5 {
        cancel.send_replace(false);
        let mut input = tokio::io::BufReader::with_capacity(256 * 1024, &data[offset as usize..]);
        let err = s
            .upload(&mut input, "big.bin", offset, false, &mut |n| {
                if n >= CANCEL_AFTER {
                    cancel.send_replace(true);
                }
            })
            .await
            .unwrap_err();
        assert!(matches!(err, FtpError::Cancelled), "round {round}: {err}");
        let size = s
            .size("big.bin")
            .await
            .unwrap_or_else(|e| panic!("round {round}: SIZE out of step: {e}"));
        let stored = std::fs::read(server.path("big.bin")).unwrap();
        assert_eq!(
            size,
            stored.len() as u64,
            "round {round}: SIZE is the real size"
        );
        // What arrived is kept. Under heavy load the server may not have
        // read anything of a round before the cancel (libunftp drops what
        // is still in the socket on ABOR), so a round may add nothing; the
        // rounds together must.
        assert!(size >= offset, "round {round}: what arrived was kept");
        progressed |= size > offset;
        assert!(size < LEN as u64, "round {round}: cancelled midway");
        assert!(
            stored[..] == data[..stored.len()],
            "round {round}: byte-exact so far"
        );
        let listing = s.list(None).await.unwrap();
        let entry = listing
            .iter()
            .find(|e| e.name == b"big.bin")
            .unwrap_or_else(|| panic!("round {round}: the listing works and shows big.bin"));
        assert_eq!(entry.size, Some(size), "round {round}");
        offset = size;
    }
    assert!(progressed, "no cancelled round kept anything");
    cancel.send_replace(false);
    let mut rest = &data[offset as usize..];
    let sent = s
        .upload(&mut rest, "big.bin", offset, false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        sent,
        LEN as u64 - offset,
        "the retry resumed from the server's size"
    );
    assert_eq!(
        sha256_hex(&std::fs::read(server.path("big.bin")).unwrap()),
        sha256_hex(&data)
    );
    s.quit().await.unwrap();
}

/// A TLS server on 127.0.0.1 presenting `cert`, with nothing behind it: the
/// client's certificate check fails during the handshake, before any FTP.
async fn tls_server_with(cert: &rcgen::Certificate, key: &rcgen::KeyPair) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    port
}

fn cert_params(cn: &str) -> rcgen::CertificateParams {
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params
}

/// Connect with implicit TLS, trusting the system's authorities only, to a
/// server presenting `cert`; the reason the certificate was refused.
async fn refusal(cert: &rcgen::Certificate, key: &rcgen::KeyPair) -> String {
    let port = tls_server_with(cert, key).await;
    let mut o = ConnectOptions::new("127.0.0.1", port, USER, PASSWORD);
    o.security = Security::Implicit;
    o.trust = TrustPolicy::SystemRoots;
    let err = Session::connect(o, ferry::ftp::log::null_log())
        .await
        .err()
        .expect("the certificate must be refused");
    let FtpError::UntrustedCertificate { reason, .. } = &err else {
        panic!("not a certificate refusal: {err}");
    };
    let text = err.to_string();
    assert!(text.starts_with(reason.as_str()), "{text}");
    assert!(
        !text.contains("Other") && !text.contains("Error("),
        "{text}"
    );
    reason.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_certificates_are_explained_in_words() {
    let key = rcgen::KeyPair::generate().unwrap();

    let plain = cert_params("localhost").self_signed(&key).unwrap();
    assert_eq!(
        refusal(&plain, &key).await,
        "the server's certificate is self-signed"
    );

    // What `openssl req -x509` makes by default: a self-signed certificate
    // marked as an authority (webpki: CaUsedAsEndEntity).
    let mut ca_params = cert_params("localhost");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_flagged = ca_params.self_signed(&key).unwrap();
    assert_eq!(
        refusal(&ca_flagged, &key).await,
        "the server's certificate is self-signed"
    );

    let mut authority = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    authority
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Some private CA");
    authority.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let authority_key = rcgen::KeyPair::generate().unwrap();
    let issuer = rcgen::Issuer::new(authority, authority_key);
    let issued = cert_params("localhost").signed_by(&key, &issuer).unwrap();
    let reason = refusal(&issued, &key).await;
    assert!(
        reason.starts_with("the server's certificate is issued by an unknown authority"),
        "{reason}"
    );

    let mut old = cert_params("localhost");
    old.not_before = rcgen::date_time_ymd(2001, 1, 1);
    old.not_after = rcgen::date_time_ymd(2002, 1, 1);
    let expired = old.self_signed(&key).unwrap();
    let reason = refusal(&expired, &key).await;
    assert!(
        reason.starts_with("the server's certificate expired on ") && reason.contains("2002"),
        "{reason}"
    );

    let mut future = cert_params("localhost");
    future.not_before = rcgen::date_time_ymd(2090, 1, 1);
    future.not_after = rcgen::date_time_ymd(2091, 1, 1);
    let early = future.self_signed(&key).unwrap();
    let reason = refusal(&early, &key).await;
    assert!(
        reason.starts_with("the server's certificate is not valid yet (valid from ")
            && reason.contains("2090"),
        "{reason}"
    );
}
