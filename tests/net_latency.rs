//! The latency proxy (tests/support/latency.rs) against the real in-process server: data
//! connections of every kind pass through it, and it really delays. Delays here only ever give
//! lower bounds, so a slow machine cannot fail these tests.

mod support;

use std::time::{Duration, Instant};

use ferry::ftp::session::DataCommand;
use ferry::ftp::{ConnectOptions, Session};
use support::latency::LatencyProxy;
use support::random_bytes;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

async fn through(proxy: &LatencyProxy) -> Session {
    let opts = ConnectOptions::new("127.0.0.1", proxy.addr.port(), USER, PASSWORD);
    Session::connect(opts, ferry::ftp::log::null_log())
        .await
        .expect("log in through the latency proxy")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epsv_pasv_and_port_transfers_all_pass_through_the_proxy() {
    let server = TestServer::start(ServerOptions {
        active: true,
        ..Default::default()
    })
    .await;
    let content = random_bytes(300_000, 13);
    std::fs::write(server.path("big.bin"), &content).unwrap();
    let proxy = LatencyProxy::start(server.addr, Duration::from_millis(2))
        .await
        .unwrap();
    let mut s = through(&proxy).await;
    // libunftp has no EPRT; the proxy's EPRT rewriting is used by the benchmarks' vsftpd.
    let commands = [DataCommand::Epsv, DataCommand::Pasv, DataCommand::Port];
    for (i, command) in commands.into_iter().enumerate() {
        s.force_data_command(Some(command));
        let mut got = Vec::new();
        s.download("big.bin", 0, &mut got, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("{} download through the proxy: {e}", command.verb()));
        assert!(got == content, "{} download differs", command.verb());
        let name = format!("up-{}.bin", command.verb());
        let mut reader: &[u8] = &content;
        s.upload(&mut reader, &name, 0, false, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("{} upload through the proxy: {e}", command.verb()));
        assert!(std::fs::read(server.path(&name)).unwrap() == content);
        // Each transfer's data connection went through the proxy, not around it.
        assert_eq!(proxy.data_connections(), 2 * (i + 1), "{}", command.verb());
    }
    assert_eq!(proxy.control_connections(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_through_the_proxy_takes_at_least_one_round_trip() {
    let server = TestServer::start(ServerOptions::default()).await;
    let one_way = Duration::from_millis(40);
    let proxy = LatencyProxy::start(server.addr, one_way).await.unwrap();
    let started = Instant::now();
    let mut s = through(&proxy).await;
    // Connect (1.5 round trips until the server accepts), greeting, USER, PASS, FEAT and OPTS.
    assert!(
        started.elapsed() >= one_way * 2 * 6,
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    s.noop().await.unwrap();
    assert!(started.elapsed() >= one_way * 2, "{:?}", started.elapsed());
}

/// The check of the proxy itself, with a client that is not Ferry: curl's download of
/// one small file is 9 round trips (connect and greeting 2, then USER, PASS, PWD, EPSV, TYPE I,
/// SIZE, RETR with the data connection's handshake hidden behind TYPE and SIZE). Only the lower
/// bound is asserted; benches/README.md gives the measured figure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_curl_download_through_the_proxy_takes_at_least_nine_round_trips() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no curl on PATH");
        return;
    }
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("small.txt"), b"hello\n").unwrap();
    let one_way = Duration::from_millis(30);
    let proxy = LatencyProxy::start(server.addr, one_way).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("small.txt");
    let url = format!(
        "ftp://{USER}:{PASSWORD}@127.0.0.1:{}/small.txt",
        proxy.addr.port()
    );
    let started = Instant::now();
    let curl_target = target.clone();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-s", "-S", "-o"])
            .arg(&curl_target)
            .arg(&url)
            .status()
    })
    .await
    .unwrap()
    .unwrap();
    let elapsed = started.elapsed();
    assert!(status.success(), "curl failed: {status}");
    assert_eq!(std::fs::read(&target).unwrap(), b"hello\n");
    assert!(elapsed >= one_way * 2 * 9, "{elapsed:?}");
    assert_eq!(proxy.data_connections(), 1);
}
