//! IPv6 end to end (issue 13): the in-process server listening on `[::1]` (EPSV, a literal
//! address in a URL, the connection test, the command line) and, for EPRT (active mode), which
//! libunftp lacks, a private vsftpd on `::1`. Every test skips, saying so, only when this machine
//! has no IPv6 loopback.

mod support;

use std::sync::{Arc, Mutex};

use ferry::demo::{InProcessServer, ServerConfig};
use ferry::ftp::log::LogLine;
use ferry::ftp::session::DataCommand;
use ferry::ftp::{ConnectOptions, DataMode, Session};
use support::cli::ferry;
use support::random_bytes;
use support::server::{PASSWORD, USER};
use support::vsftpd::Vsftpd;
use tempfile::TempDir;

/// False (with a skip line) when `::1` cannot be bound here.
fn has_ipv6_loopback(test: &str) -> bool {
    match std::net::TcpListener::bind("[::1]:0") {
        Ok(_) => true,
        Err(e) => {
            eprintln!("SKIPPED {test}: this machine has no IPv6 loopback ([::1]: {e})");
            false
        }
    }
}

/// The in-process server on `[::1]:<free port>` over a fresh folder.
async fn server_v6(active: bool) -> (InProcessServer, TempDir) {
    let root = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(root.path(), USER, PASSWORD);
    config.active = active;
    let listener = tokio::net::TcpListener::bind("[::1]:0").await.unwrap();
    let server = InProcessServer::start_on(listener, config).await.unwrap();
    assert!(server.addr().is_ipv6());
    (server, root)
}

fn capture() -> (ferry::ftp::SharedLog, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l2 = lines.clone();
    (
        Arc::new(move |l: LogLine| l2.lock().unwrap().push(l.text)),
        lines,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epsv_listing_download_and_upload_over_ipv6() {
    if !has_ipv6_loopback("epsv_listing_download_and_upload_over_ipv6") {
        return;
    }
    let (server, root) = server_v6(false).await;
    let data = random_bytes(3 << 20, 21);
    std::fs::write(root.path().join("big.bin"), &data).unwrap();
    let (log, lines) = capture();
    let opts = ConnectOptions::new("::1", server.addr().port(), USER, PASSWORD);
    let mut s = Session::connect(opts, log).await.unwrap();
    assert!(s.peer().is_ipv6());
    let names: Vec<_> = s
        .list(None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert!(names.contains(&b"big.bin".to_vec()), "{names:?}");
    let mut got = Vec::new();
    s.download("big.bin", 0, &mut got, &mut |_| {})
        .await
        .unwrap();
    assert!(got == data);
    let mut input = &data[..1000];
    s.upload(&mut input, "up.bin", 0, false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(root.path().join("up.bin")).unwrap(),
        &data[..1000]
    );
    let lines = lines.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l == "EPSV"), "{lines:?}");
    assert!(
        !lines.iter().any(|l| l == "PASV"),
        "PASV cannot carry IPv6: {lines:?}"
    );
    s.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_takes_a_literal_ipv6_address_in_the_url() {
    if !has_ipv6_loopback("cli_takes_a_literal_ipv6_address_in_the_url") {
        return;
    }
    let (server, root) = server_v6(false).await;
    std::fs::write(root.path().join("hello.txt"), b"hello over six").unwrap();
    let work = tempfile::tempdir().unwrap();
    let base = format!("ftp://{USER}@[::1]:{}/", server.addr().port());
    let o = ferry(&["ls", &base], work.path()).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("hello.txt"));
    let o = ferry(&["get", &format!("{base}hello.txt")], work.path()).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(work.path().join("hello.txt")).unwrap(),
        b"hello over six"
    );
    let o = ferry(
        &["put", "hello.txt", &format!("{base}copy.txt")],
        work.path(),
    )
    .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(root.path().join("copy.txt")).unwrap(),
        b"hello over six"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_test_over_ipv6_skips_pasv_and_port_and_finds_epsv() {
    if !has_ipv6_loopback("the_connection_test_over_ipv6_skips_pasv_and_port_and_finds_epsv") {
        return;
    }
    let (server, _root) = server_v6(false).await;
    let work = tempfile::tempdir().unwrap();
    let url = format!("ftp://{USER}@[::1]:{}/", server.addr().port());
    let o = ferry(&["diagnose", &url], work.path()).await;
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("[::1]"),
        "the address is shown bracketed: {out}"
    );
    let step = |verb: &str| {
        out.lines()
            .find(|l| l.contains(verb))
            .unwrap_or_default()
            .to_string()
    };
    assert!(step("EPSV").contains(" ok "), "{out}");
    // PASV cannot name an IPv6 address (libunftp closes the connection when asked): skipped,
    // as PORT is; libunftp has no EPRT, and the verdict says the server refuses it.
    assert!(step("PASV").contains("skipped"), "{out}");
    assert!(step("PORT").contains("skipped"), "{out}");
    assert!(step("EPRT").contains("refused"), "{out}");
    assert!(
        out.contains("the server refuses active mode"),
        "not blamed on a firewall: {out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eprt_active_mode_over_ipv6_against_vsftpd() {
    let test = "eprt_active_mode_over_ipv6_against_vsftpd";
    if !has_ipv6_loopback(test) {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let data = random_bytes(2 << 20, 22);
    std::fs::write(root.path().join("six.bin"), &data).unwrap();
    let Some(vsftpd) = Vsftpd::start(
        test,
        root.path(),
        "listen_ipv6=YES\nlisten_address6=::1\nport_enable=YES\nconnect_from_port_20=NO\n",
    ) else {
        return;
    };
    for command in [DataCommand::Eprt, DataCommand::Epsv] {
        let (log, lines) = capture();
        let mut opts = ConnectOptions::new("::1", vsftpd.port, "anonymous", "");
        opts.mode = command.mode();
        let mut s = Session::connect(opts, log).await.unwrap();
        s.force_data_command(Some(command));
        let names: Vec<_> = s
            .list(None)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert!(
            names.contains(&b"six.bin".to_vec()),
            "{command:?}: {names:?}"
        );
        let mut got = Vec::new();
        s.download("six.bin", 0, &mut got, &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("{command:?}: {e}\n{}", vsftpd.log()));
        assert!(got == data, "{command:?}: content differs");
        let lines = lines.lock().unwrap().clone();
        let verb = command.verb();
        assert!(
            lines.iter().any(|l| l.starts_with(verb)),
            "{command:?}: {lines:?}"
        );
        if command == DataCommand::Eprt {
            assert!(
                lines.iter().any(|l| l.starts_with("EPRT |2|::1|")),
                "an IPv6 EPRT: {lines:?}"
            );
            assert_eq!(command.mode(), DataMode::Active);
        }
        s.quit().await.unwrap();
    }
}
