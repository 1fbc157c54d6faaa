//! Control and passive data connections through real proxies on loopback:
//! Debian's microsocks (SOCKS5, RFC 1928, with the RFC 1929 login) and
//! tinyproxy (HTTP CONNECT, with Basic login), started by each test on a
//! free port and stopped when it ends. `scripts/proxy-servers` finds or
//! unpacks them; `scripts/test` sets FERRY_MICROSOCKS / FERRY_TINYPROXY and
//! FERRY_REQUIRE_PROXIES, so CI fails instead of skipping when they are
//! missing.

mod support;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry::ftp::log::{LogLine, SharedLog};
use ferry::ftp::{ConnectOptions, DataMode, ErrorClass, Proxy, Session};
use support::cli::Ferry;
use support::fake::{FakeServer, Step, login_script};
use support::random_bytes;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

const PROXY_USER: &str = "carol";
const PROXY_PASSWORD: &str = "pr0xy-Sekr1t";

/// A proxy process on 127.0.0.1; dropping it stops it (by its own id).
struct ProxyProcess {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var).map(PathBuf::from)
        && p.is_file()
    {
        return Some(p);
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn missing(test: &str, name: &str) -> Option<ProxyProcess> {
    if std::env::var_os("FERRY_REQUIRE_PROXIES").is_some() {
        panic!(
            "{test}: {name} is not installed and FERRY_REQUIRE_PROXIES is set; run scripts/test (scripts/proxy-servers unpacks it)"
        );
    }
    eprintln!(
        "SKIPPED {test}: {name} is not installed (run scripts/test, or scripts/proxy-servers)"
    );
    None
}

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free loopback port")
        .port()
}

fn wait_listening(child: &mut Child, port: u16, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{name} exited at start ({status})");
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not listen on {port} within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// microsocks on 127.0.0.1, with a login when `login` is true.
fn socks5(test: &str, login: bool) -> Option<ProxyProcess> {
    let Some(bin) = binary("FERRY_MICROSOCKS", "microsocks") else {
        return missing(test, "microsocks");
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args(["-i", "127.0.0.1", "-p", &port.to_string()]);
    if login {
        cmd.args(["-u", PROXY_USER, "-P", PROXY_PASSWORD]);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start microsocks");
    wait_listening(&mut child, port, "microsocks");
    Some(ProxyProcess {
        child,
        port,
        _dir: dir,
    })
}

/// tinyproxy on 127.0.0.1 (CONNECT to any port), with Basic login when
/// `login` is true.
fn http_proxy(test: &str, login: bool) -> Option<ProxyProcess> {
    let Some(bin) = binary("FERRY_TINYPROXY", "tinyproxy") else {
        return missing(test, "tinyproxy");
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut conf = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 50\nLogLevel Warning\nLogFile \"{}\"\n",
        dir.path().join("tinyproxy.log").display()
    );
    if login {
        conf.push_str(&format!("BasicAuth {PROXY_USER} {PROXY_PASSWORD}\n"));
    }
    let conf_path = dir.path().join("tinyproxy.conf");
    std::fs::write(&conf_path, conf).expect("write tinyproxy.conf");
    let mut child = Command::new(bin)
        .arg("-d")
        .arg("-c")
        .arg(&conf_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tinyproxy");
    wait_listening(&mut child, port, "tinyproxy");
    Some(ProxyProcess {
        child,
        port,
        _dir: dir,
    })
}

fn capture_log() -> (SharedLog, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let log: SharedLog = Arc::new(move |l: LogLine| sink.lock().unwrap().push(l.text));
    (log, lines)
}

fn options(host: &str, addr: SocketAddr, proxy: &str) -> ConnectOptions {
    let mut o = ConnectOptions::new(host, addr.port(), USER, PASSWORD);
    o.mode = DataMode::Passive;
    o.timeouts = ferry::ftp::Timeouts::uniform(Duration::from_secs(10));
    o.proxy = Some(Proxy::parse(proxy).expect("proxy URL"));
    o
}

/// Upload, list and download one file on `session`, checking the server's copy.
async fn round_trip(session: &mut Session, server: &TestServer) {
    let data = random_bytes(300 * 1024 + 17, 13);
    let mut input = tokio::io::BufReader::new(&data[..]);
    let sent = session
        .upload(&mut input, "through.bin", 0, false, &mut |_| {})
        .await
        .expect("upload through the proxy");
    assert_eq!(sent, data.len() as u64);
    assert_eq!(std::fs::read(server.path("through.bin")).unwrap(), data);
    let names: Vec<String> = session
        .list(None)
        .await
        .expect("list through the proxy")
        .into_iter()
        .map(|e| String::from_utf8_lossy(&e.name).into_owned())
        .collect();
    assert!(names.contains(&"through.bin".to_string()), "{names:?}");
    let mut back = Vec::new();
    session
        .download("through.bin", 0, &mut back, &mut |_| {})
        .await
        .expect("download through the proxy");
    assert_eq!(back, data);
}

fn has_line(lines: &Arc<Mutex<Vec<String>>>, part: &str) -> bool {
    lines.lock().unwrap().iter().any(|l| l.contains(part))
}

fn dump(lines: &Arc<Mutex<Vec<String>>>) -> String {
    lines.lock().unwrap().join("\n")
}

async fn through(kind: &str, login: bool, test: &str) {
    let proxy = match kind {
        "http" => http_proxy(test, login),
        _ => socks5(test, login),
    };
    let Some(proxy) = proxy else { return };
    let server = TestServer::start(ServerOptions::default()).await;
    let userinfo = if login {
        format!("{PROXY_USER}:{PROXY_PASSWORD}@")
    } else {
        String::new()
    };
    let url = format!("{kind}://{userinfo}127.0.0.1:{}", proxy.port);
    let (log, lines) = capture_log();
    let mut session = Session::connect(options("127.0.0.1", server.addr, &url), log)
        .await
        .unwrap_or_else(|e| panic!("connect through {url}: {e}\n{}", dump(&lines)));
    // The control connection's other end is the proxy, not the server.
    assert_eq!(session.peer().port(), proxy.port);
    round_trip(&mut session, &server).await;
    let label = if kind == "http" { "HTTP" } else { "SOCKS5" };
    let via = format!("through the {label} proxy 127.0.0.1:{}", proxy.port);
    assert!(
        has_line(&lines, "Opening data connection (passive) to 127.0.0.1:"),
        "{}",
        dump(&lines)
    );
    let data_lines = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("Opening data connection") && l.contains(&via))
        .count();
    assert!(
        data_lines >= 3,
        "upload, list and download each through the proxy:\n{}",
        dump(&lines)
    );
    let text = dump(&lines);
    assert!(
        !text.contains(PROXY_PASSWORD),
        "the proxy password is logged:\n{text}"
    );
}

#[tokio::test]
async fn socks5_carries_listings_and_transfers_without_login() {
    through("socks5", false, "socks5_without_login").await;
}

#[tokio::test]
async fn socks5_carries_listings_and_transfers_with_a_login() {
    through("socks5", true, "socks5_with_login").await;
}

#[tokio::test]
async fn http_connect_carries_listings_and_transfers_without_login() {
    through("http", false, "http_without_login").await;
}

#[tokio::test]
async fn http_connect_carries_listings_and_transfers_with_basic_login() {
    through("http", true, "http_with_login").await;
}

#[tokio::test]
async fn socks5h_leaves_the_name_to_the_proxy_and_socks5_resolves_it_first() {
    let Some(proxy) = socks5("socks5h", true) else {
        return;
    };
    let server = TestServer::start(ServerOptions::default()).await;
    let port = server.addr.port();
    for (scheme, resolved_here) in [("socks5h", false), ("socks5", true)] {
        let url = format!(
            "{scheme}://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{}",
            proxy.port
        );
        let (log, lines) = capture_log();
        let mut session = Session::connect(options("localhost", server.addr, &url), log)
            .await
            .unwrap_or_else(|e| panic!("connect through {scheme}: {e}\n{}", dump(&lines)));
        session.list(None).await.expect("list");
        assert_eq!(
            has_line(&lines, "Resolving localhost"),
            resolved_here,
            "{scheme}:\n{}",
            dump(&lines)
        );
        let asked_by_name = has_line(&lines, &format!("Connecting to localhost:{port} through"));
        assert_eq!(asked_by_name, !resolved_here, "{scheme}:\n{}", dump(&lines));
        // The data connection goes to the same host the control one did.
        let data_host = if resolved_here {
            "127.0.0.1"
        } else {
            "localhost"
        };
        assert!(
            has_line(
                &lines,
                &format!("Opening data connection (passive) to {data_host}:")
            ),
            "{scheme}:\n{}",
            dump(&lines)
        );
    }
}

#[tokio::test]
async fn a_wrong_socks5_password_is_a_clear_error_naming_the_proxy() {
    let Some(proxy) = socks5("wrong_socks5_password", true) else {
        return;
    };
    let server = TestServer::start(ServerOptions::default()).await;
    let url = format!("socks5://{PROXY_USER}:not-it@127.0.0.1:{}", proxy.port);
    let (log, _) = capture_log();
    let err = Session::connect(options("127.0.0.1", server.addr, &url), log)
        .await
        .err()
        .expect("a wrong proxy password must fail");
    assert_eq!(
        err.to_string(),
        format!(
            "the SOCKS5 proxy 127.0.0.1:{} refused the login — check the proxy user name and password",
            proxy.port
        )
    );
    assert_eq!(err.class(), ErrorClass::Connection);

    // No login at all, to a proxy that wants one.
    let url = format!("socks5://127.0.0.1:{}", proxy.port);
    let (log, _) = capture_log();
    let err = Session::connect(options("127.0.0.1", server.addr, &url), log)
        .await
        .err()
        .expect("a proxy that wants a login must refuse");
    assert!(
        err.to_string().contains(&format!(
            "the SOCKS5 proxy 127.0.0.1:{} asks for a login",
            proxy.port
        )),
        "{err}"
    );
}

#[tokio::test]
async fn a_wrong_http_proxy_password_is_a_clear_error_naming_the_proxy() {
    let Some(proxy) = http_proxy("wrong_http_password", true) else {
        return;
    };
    let server = TestServer::start(ServerOptions::default()).await;
    let url = format!("http://{PROXY_USER}:not-it@127.0.0.1:{}", proxy.port);
    let (log, _) = capture_log();
    let err = Session::connect(options("127.0.0.1", server.addr, &url), log)
        .await
        .err()
        .expect("a wrong proxy password must fail");
    let text = err.to_string();
    // tinyproxy answers a wrong login with 407 or, in some builds, 401.
    let refused = format!("the HTTP proxy 127.0.0.1:{} refused the login", proxy.port);
    assert!(
        (text.starts_with(&format!("{refused} (407"))
            || text.starts_with(&format!("{refused} (401")))
            && text.ends_with("— check the proxy user name and password"),
        "{text}"
    );
    assert_eq!(err.class(), ErrorClass::Connection);
}

#[tokio::test]
async fn a_proxy_that_is_not_running_is_named_in_the_error() {
    let server = TestServer::start(ServerOptions::default()).await;
    let dead = free_port();
    let url = format!("socks5://127.0.0.1:{dead}");
    let (log, _) = capture_log();
    let err = Session::connect(options("127.0.0.1", server.addr, &url), log)
        .await
        .err()
        .expect("no proxy listens there");
    assert!(
        err.to_string().starts_with(&format!(
            "the SOCKS5 proxy 127.0.0.1:{dead} cannot be reached ("
        )),
        "{err}"
    );
}

#[tokio::test]
async fn active_mode_through_a_proxy_is_refused_and_auto_mode_stays_passive() {
    let Some(proxy) = socks5("active_refused", false) else {
        return;
    };
    let server = TestServer::start(ServerOptions {
        active: true,
        ..ServerOptions::default()
    })
    .await;
    let url = format!("socks5://127.0.0.1:{}", proxy.port);
    let mut active = options("127.0.0.1", server.addr, &url);
    active.mode = DataMode::Active;
    let (log, _) = capture_log();
    let err = Session::connect(active.clone(), log)
        .await
        .err()
        .expect("active mode through a proxy must be refused");
    assert!(
        err.to_string()
            .contains("active mode needs the server to reach you; through a proxy use passive"),
        "{err}"
    );

    // Auto mode that last worked in active starts (and stays) passive.
    active.auto_fallback = true;
    let (log, lines) = capture_log();
    let mut session = Session::connect(active, log)
        .await
        .expect("auto mode connects");
    session
        .list(None)
        .await
        .expect("auto mode lists in passive");
    assert!(has_line(&lines, "(passive)"), "{}", dump(&lines));
    assert!(
        !lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("EPRT") || l.starts_with("PORT")),
        "{}",
        dump(&lines)
    );

    // A session switched to active later refuses at the data connection.
    session.set_mode(DataMode::Active);
    let err = session.list(None).await.expect_err("active refused");
    assert!(
        err.to_string().contains("through a proxy use passive"),
        "{err}"
    );

    // The connection form's and the sites' options: auto becomes passive.
    let spec = ferry::sites::ConnectSpec {
        host: "ftp.example.org".into(),
        mode: ferry::sites::ConnectionMode::Auto,
        last_working_mode: Some(ferry::sites::ConnectionMode::Active),
        proxy: Some(Proxy::parse(&url).unwrap()),
        ..Default::default()
    };
    let o = spec.options();
    assert_eq!((o.mode, o.auto_fallback), (DataMode::Passive, false));
}

#[tokio::test]
async fn the_proxy_is_asked_for_the_control_host_not_the_pasv_host() {
    let Some(proxy) = socks5("pasv_host", false) else {
        return;
    };
    // The PASV reply names 127.0.0.2; the data listener is on 127.0.0.1
    // only, so a client that believed the reply would fail to connect.
    let mut script = login_script();
    script.extend([
        Step::Expect("TYPE I".into()),
        Step::Send(b"200 ok\r\n".to_vec()),
        Step::Expect("EPSV".into()),
        Step::Send(b"500 EPSV not understood\r\n".to_vec()),
        Step::Expect("PASV".into()),
        Step::PasvReply {
            advertised_host: [127, 0, 0, 2],
        },
        Step::Expect("LIST".into()),
        Step::Send(b"150 here\r\n".to_vec()),
        Step::DataSend(b"-rw-r--r-- 1 u g 5 Jan 01 2024 hello.txt\r\n".to_vec()),
        Step::Send(b"226 done\r\n".to_vec()),
        Step::Hold,
    ]);
    let fake = FakeServer::start(script).await;
    let url = format!("socks5://127.0.0.1:{}", proxy.port);
    let (log, lines) = capture_log();
    let mut session = Session::connect(options("127.0.0.1", fake.addr, &url), log)
        .await
        .expect("connect");
    let entries = session.list(None).await.unwrap_or_else(|e| {
        panic!("{e}\n{}", dump(&lines));
    });
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, b"hello.txt");
    assert!(
        has_line(&lines, "The server named 127.0.0.2 for the data connection"),
        "{}",
        dump(&lines)
    );
    drop(session);
    let report = fake.finish().await;
    assert!(
        report.commands.iter().any(|c| c == "PASV"),
        "{:?}",
        report.commands
    );
}

// ----- the command line: --proxy, ALL_PROXY / FTP_PROXY / NO_PROXY -----

const PROXY_VARS: [&str; 8] = [
    "all_proxy",
    "ALL_PROXY",
    "ftp_proxy",
    "FTP_PROXY",
    "ftps_proxy",
    "FTPS_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// Run `ferry ARGS` with only the proxy variables in `vars` set, a config
/// folder of its own, and the test password.
async fn ferry(args: &[&str], vars: &[(&str, String)], cwd: &Path) -> Output {
    let config = tempfile::tempdir().expect("config dir");
    let mut ferry = Ferry::new(args).cwd(cwd).config(config.path());
    for name in PROXY_VARS {
        ferry = ferry.env_remove(name);
    }
    ferry.envs(vars.iter().map(|(k, v)| (k, v))).run().await
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn the_command_line_takes_a_proxy_flag_with_a_login() {
    let Some(proxy) = http_proxy("cli_flag", true) else {
        return;
    };
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("notes.txt"), b"through tinyproxy").unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let flag = format!(
        "http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{}",
        proxy.port
    );
    let out = ferry(
        &["get", "-v", "--proxy", &flag, &server.url("notes.txt")],
        &[],
        cwd.path(),
    )
    .await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        std::fs::read(cwd.path().join("notes.txt")).unwrap(),
        b"through tinyproxy"
    );
    assert!(
        err.contains(&format!("through the HTTP proxy 127.0.0.1:{}", proxy.port)),
        "{err}"
    );
    assert!(
        !err.contains(PROXY_PASSWORD),
        "the proxy password is printed:\n{err}"
    );

    // Active mode is refused with the reason, before any transfer.
    let out = ferry(
        &["ls", "--active", "--proxy", &flag, &server.url("")],
        &[],
        cwd.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("active mode needs the server to reach you; through a proxy use passive"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn the_environment_is_read_as_curl_reads_it() {
    let Some(proxy) = socks5("cli_env", false) else {
        return;
    };
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::write(server.path("a.txt"), b"a").unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let live = format!("socks5://127.0.0.1:{}", proxy.port);
    let dead_port = free_port();
    let dead = format!("socks5://127.0.0.1:{dead_port}");
    let url = server.url("");

    // FTP_PROXY wins over ALL_PROXY.
    let out = ferry(
        &["ls", "-v", &url],
        &[("ALL_PROXY", dead.clone()), ("FTP_PROXY", live.clone())],
        cwd.path(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("a.txt"));
    assert!(
        stderr(&out).contains(&format!(
            "through the SOCKS5 proxy 127.0.0.1:{}",
            proxy.port
        )),
        "{}",
        stderr(&out)
    );

    // ALL_PROXY alone is used: here it names a proxy that is not running.
    let out = ferry(&["ls", &url], &[("all_proxy", dead.clone())], cwd.path()).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "the SOCKS5 proxy 127.0.0.1:{dead_port} cannot be reached"
        )),
        "{}",
        stderr(&out)
    );

    // NO_PROXY sends the listed host direct, and `*` every host.
    for list in ["localhost,127.0.0.1", "*"] {
        let out = ferry(
            &["ls", "-v", &url],
            &[("ALL_PROXY", dead.clone()), ("NO_PROXY", list.to_string())],
            cwd.path(),
        )
        .await;
        assert!(out.status.success(), "NO_PROXY={list}: {}", stderr(&out));
        assert!(!stderr(&out).contains("proxy"), "{}", stderr(&out));
    }

    // `--proxy ''` ignores the environment.
    let out = ferry(
        &["ls", "--proxy", "", &url],
        &[("ALL_PROXY", dead)],
        cwd.path(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
}

// ----- the window: the proxy in Preferences, its password from the keyring -----

#[test]
fn the_window_connects_through_the_preferences_proxy_with_the_keyring_password() {
    use egui_kittest::Harness;
    use ferry::prefs::PREFS_FILE;
    use ferry::sites::{MemorySecrets, SecretStore, proxy_secret_id};
    use ferry::ui::app::State;
    use ferry::ui::connect_form::ConnectForm;
    use ferry::ui::{AppConfig, FerryApp, SitesConfig};
    use support::window::{remote_names, runtime, wait_until};

    let Some(proxy) = socks5("window_preferences_proxy", true) else {
        return;
    };
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::write(server.path("hello.txt"), b"hello").unwrap();
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let url = format!("socks5://{PROXY_USER}@127.0.0.1:{}", proxy.port);
    std::fs::write(
        config.path().join(PREFS_FILE),
        format!("[network]\nproxy = \"{url}\"\n"),
    )
    .unwrap();
    let secrets = Arc::new(MemorySecrets::new());
    let key = proxy_secret_id(&url);
    secrets.set(&key, PROXY_PASSWORD).unwrap();
    let (dir, start) = (config.path().to_path_buf(), local.path().to_path_buf());
    let store = Arc::clone(&secrets) as Arc<dyn SecretStore>;
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                State::default(),
                AppConfig {
                    local_start: Some(start),
                    prefs_file: Some(dir.join(PREFS_FILE)),
                    sites: Some(SitesConfig {
                        dir,
                        secrets: store,
                    }),
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    wait_until(&mut h, "the proxy password read from the keyring", |a| {
        a.proxy_password_known(&key)
    });
    // The form leaves the proxy to Preferences (its Proxy field is empty).
    let form = ConnectForm {
        host: "127.0.0.1".into(),
        port: server.addr.port().to_string(),
        user: USER.into(),
        password: PASSWORD.into(),
        ..ConnectForm::default()
    };
    let request = form.validate().expect("a valid form");
    assert!(request.options.proxy.is_none(), "the app adds it");
    h.state_mut().connect(request);
    wait_until(&mut h, "the listing through the proxy", |a| {
        remote_names(a).contains(&"hello.txt".to_string())
    });
    let log: Vec<String> = h.state().log.visible_texts().map(str::to_string).collect();
    let via = format!("through the SOCKS5 proxy 127.0.0.1:{}", proxy.port);
    assert!(
        log.iter()
            .any(|l| l.starts_with("Opening data connection") && l.contains(&via)),
        "{log:#?}"
    );
    assert!(!log.iter().any(|l| l.contains(PROXY_PASSWORD)), "{log:#?}");
}
