//! The engine contract end to end: commands in, events out, against the
//! in-process libunftp server — what the window relies on.

mod support;

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use ferry::engine::{AnyPath, Command, Direction, Engine, Event, Kind, PathItem};
use ferry::ftp::{ConnectOptions, DataMode};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::{random_bytes, sha256_hex};

fn engine() -> Engine {
    Engine::start(std::sync::Arc::new(|| {})).expect("engine starts")
}

/// Wait for the first event `pick` accepts, failing after 10 s.
fn wait_for<T>(
    events: &Receiver<Event>,
    what: &str,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(e) => {
                if let Some(t) = pick(e) {
                    return t;
                }
            }
            Err(_) => panic!("no {what} event within 10 s"),
        }
    }
}

/// Wait until the transfer queue has nothing left to run; returns the jobs
/// done and failed (failures' messages are printed by the panic).
fn wait_idle(engine: &Engine) -> (usize, usize) {
    let mut failures = Vec::new();
    let (done, failed) = wait_for(&engine.events, "QueueIdle", |e| match e {
        Event::JobsChanged(views) => {
            failures.extend(views.into_iter().filter_map(|v| v.error));
            None
        }
        Event::QueueIdle { done, failed, .. } => Some((done, failed)),
        _ => None,
    });
    assert_eq!(failed, 0, "failures: {failures:?}");
    (done, failed)
}

fn options(server: &TestServer, mode: DataMode) -> ConnectOptions {
    let mut o = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    o.mode = mode;
    o
}

fn connect(engine: &Engine, server: &TestServer, mode: DataMode) -> Vec<ferry::engine::Entry> {
    engine.handle.send(Command::Connect {
        options: options(server, mode),
        initial_path: None,
    });
    wait_for(&engine.events, "Connected", |e| match e {
        Event::Connected { home, .. } => Some(home),
        Event::ConnectFailed { message, .. } => panic!("connect failed: {message}"),
        _ => None,
    });
    wait_for(&engine.events, "Listing", |e| match e {
        Event::Listing { entries, .. } => Some(entries),
        _ => None,
    })
}

fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn connect_lists_the_login_folder_and_navigating_lists_subfolders() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions {
        tls: false,
        active: true,
    }));
    std::fs::create_dir(server.path("docs")).unwrap();
    std::fs::write(server.path("docs/a.txt"), b"hello").unwrap();
    std::fs::write(server.path("top.bin"), b"x").unwrap();
    let engine = engine();
    for mode in [DataMode::Passive, DataMode::Active] {
        let entries = connect(&engine, &server, mode);
        let mut names: Vec<_> = entries
            .iter()
            .map(|e| (e.display_name.to_string(), e.kind))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            names,
            vec![
                ("docs".to_string(), Kind::Dir),
                ("top.bin".to_string(), Kind::File)
            ],
            "{mode}"
        );
        engine.handle.send(Command::List {
            path: AnyPath::Remote(b"/docs".to_vec()),
            show_hidden: false,
        });
        let (path, entries) = wait_for(&engine.events, "Listing", |e| match e {
            Event::Listing { path, entries } => Some((path, entries)),
            _ => None,
        });
        assert_eq!(path, AnyPath::Remote(b"/docs".to_vec()));
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].size, Some(5));
    }
}

#[test]
fn the_replaced_session_says_goodbye_in_the_log_but_never_disconnects_the_new_one() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions {
        tls: false,
        active: false,
    }));
    let engine = engine();
    connect(&engine, &server, DataMode::Passive);
    // Connecting again while connected replaces the session; the old one
    // quits on its own time and could finish after the new one logged in.
    engine.handle.send(Command::Connect {
        options: options(&server, DataMode::Passive),
        initial_path: None,
    });
    let mut after = Vec::new();
    let (mut listed, mut goodbye) = (false, false);
    wait_for(&engine.events, "the new listing and the old 221", |e| {
        match &e {
            Event::Listing { .. } => listed = true,
            Event::Log(line) if line.text.starts_with("221") => goodbye = true,
            _ => {}
        }
        after.push(format!("{e:?}"));
        (listed && goodbye).then_some(())
    });
    // Whatever the old task sends right after its QUIT comes within a
    // snapshot or two.
    let settle = Instant::now() + Duration::from_millis(500);
    while let Ok(e) = engine
        .events
        .recv_timeout(settle.saturating_duration_since(Instant::now()))
    {
        after.push(format!("{e:?}"));
    }
    assert!(
        !after.iter().any(|e| e.starts_with("Disconnected")),
        "the old session's end is not the new one's: {after:?}"
    );
    // The same for an explicit disconnect followed at once by a connect.
    engine.handle.send(Command::Disconnect);
    wait_for(&engine.events, "Disconnected", |e| {
        matches!(e, Event::Disconnected { reason: None }).then_some(())
    });
    connect(&engine, &server, DataMode::Passive);
    let settle = Instant::now() + Duration::from_millis(500);
    while let Ok(e) = engine
        .events
        .recv_timeout(settle.saturating_duration_since(Instant::now()))
    {
        assert!(
            !matches!(e, Event::Disconnected { .. }),
            "the disconnect was said once, before the new connection"
        );
    }
}

#[test]
fn a_wrong_password_is_reported_as_a_login_failure() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let engine = engine();
    let mut o = options(&server, DataMode::Passive);
    o.password = "nope".into();
    engine.handle.send(Command::Connect {
        options: o,
        initial_path: None,
    });
    let (message, login) = wait_for(&engine.events, "ConnectFailed", |e| match e {
        Event::ConnectFailed { message, login } => Some((message, login)),
        Event::Connected { .. } => panic!("connected with a wrong password"),
        _ => None,
    });
    assert!(login, "{message}");
    assert!(message.contains("530"), "{message}");
}

#[test]
fn folders_are_created_renamed_and_deleted_recursively_on_both_sides() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let local = tempfile::tempdir().unwrap();
    let engine = engine();
    connect(&engine, &server, DataMode::Passive);

    let sides = [
        (
            AnyPath::Remote(b"/".to_vec()),
            server.root.path().to_path_buf(),
        ),
        (
            AnyPath::Local(local.path().to_path_buf()),
            local.path().to_path_buf(),
        ),
    ];
    for (base, disk) in sides {
        engine.handle.send(Command::MakeDir {
            path: base.join(b"made"),
        });
        wait_for(&engine.events, "OperationDone", |e| match e {
            Event::OperationDone { .. } => Some(()),
            Event::OperationFailed { message, .. } => panic!("mkdir: {message}"),
            _ => None,
        });
        assert!(disk.join("made").is_dir());
        std::fs::create_dir_all(disk.join("made/deep/er")).unwrap();
        std::fs::write(disk.join("made/deep/er/f.txt"), b"data").unwrap();
        std::fs::write(disk.join("made/g.txt"), b"data").unwrap();

        engine.handle.send(Command::Rename {
            from: base.join(b"made"),
            to: base.join(b"renamed"),
        });
        wait_for(&engine.events, "OperationDone", |e| match e {
            Event::OperationDone { .. } => Some(()),
            Event::OperationFailed { message, .. } => panic!("rename: {message}"),
            _ => None,
        });
        assert!(disk.join("renamed/deep/er/f.txt").is_file());

        engine.handle.send(Command::Delete {
            paths: vec![PathItem {
                path: base.join(b"renamed"),
                is_dir: true,
            }],
        });
        let mut progress = 0;
        wait_for(&engine.events, "OperationDone", |e| match e {
            Event::DeleteProgress { done, total, .. } => {
                assert!(done <= total);
                progress = total;
                None
            }
            Event::OperationDone { .. } => Some(()),
            Event::OperationFailed { message, .. } => panic!("delete: {message}"),
            _ => None,
        });
        assert!(!disk.join("renamed").exists(), "{:?}", base);
        assert_eq!(progress, 5, "2 files and 3 folders");
    }
}

#[test]
fn transfers_copy_files_and_folders_byte_exact_both_ways() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let local = tempfile::tempdir().unwrap();
    let engine = engine();
    connect(&engine, &server, DataMode::Passive);

    let big = random_bytes(2_000_000, 42);
    std::fs::create_dir_all(server.path("tree/sub")).unwrap();
    std::fs::write(server.path("tree/sub/big.bin"), &big).unwrap();
    std::fs::write(server.path("tree/small.txt"), b"small").unwrap();

    engine.handle.send(Command::Enqueue {
        direction: Direction::Download,
        sources: vec![PathItem {
            path: AnyPath::Remote(b"/tree".to_vec()),
            is_dir: true,
        }],
        target_dir: AnyPath::Local(local.path().to_path_buf()),
        on_existing: None,
    });
    assert_eq!(wait_idle(&engine), (2, 0), "files done, failed");
    let got = std::fs::read(local.path().join("tree/sub/big.bin")).unwrap();
    assert_eq!(sha256_hex(&got), sha256_hex(&big));
    assert_eq!(
        std::fs::read(local.path().join("tree/small.txt")).unwrap(),
        b"small"
    );
    assert!(!local.path().join("tree/sub/big.bin.part").exists());

    let upload_src: PathBuf = local.path().join("tree");
    engine.handle.send(Command::MakeDir {
        path: AnyPath::Remote(b"/up".to_vec()),
    });
    wait_for(&engine.events, "OperationDone", |e| {
        matches!(e, Event::OperationDone { .. }).then_some(())
    });
    engine.handle.send(Command::Enqueue {
        direction: Direction::Upload,
        sources: vec![PathItem {
            path: AnyPath::Local(upload_src),
            is_dir: true,
        }],
        target_dir: AnyPath::Remote(b"/up".to_vec()),
        on_existing: None,
    });
    // The queue keeps the two finished downloads too.
    assert_eq!(wait_idle(&engine), (4, 0), "files done, failed");
    assert_eq!(
        sha256_hex(&std::fs::read(server.path("up/tree/sub/big.bin")).unwrap()),
        sha256_hex(&big)
    );
}

#[test]
fn an_enqueue_that_says_overwrite_replaces_existing_files_without_asking() {
    // What a synchronization's Run sends: the queue's own setting is "ask",
    // but these jobs (and the files their folder expands into) overwrite.
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let local = tempfile::tempdir().unwrap();
    let engine = engine();
    connect(&engine, &server, DataMode::Passive);

    std::fs::create_dir_all(server.path("site/sub")).unwrap();
    std::fs::write(server.path("site/sub/page.html"), b"new page").unwrap();
    std::fs::write(server.path("top.txt"), b"new top").unwrap();
    std::fs::create_dir_all(local.path().join("site/sub")).unwrap();
    std::fs::write(local.path().join("site/sub/page.html"), b"old").unwrap();
    std::fs::write(local.path().join("top.txt"), b"old").unwrap();

    engine.handle.send(Command::Enqueue {
        direction: Direction::Download,
        sources: vec![
            PathItem {
                path: AnyPath::Remote(b"/site".to_vec()),
                is_dir: true,
            },
            PathItem {
                path: AnyPath::Remote(b"/top.txt".to_vec()),
                is_dir: false,
            },
        ],
        target_dir: AnyPath::Local(local.path().to_path_buf()),
        on_existing: Some(ferry::engine::OnExisting::Overwrite),
    });
    let done = wait_for(&engine.events, "QueueIdle", |e| match e {
        Event::JobConflict(c) => panic!("asked although the enqueue said overwrite: {c:?}"),
        Event::QueueIdle { done, failed, .. } => Some((done, failed)),
        _ => None,
    });
    assert_eq!(done, (2, 0), "files done, failed");
    assert_eq!(
        std::fs::read(local.path().join("site/sub/page.html")).unwrap(),
        b"new page"
    );
    assert_eq!(
        std::fs::read(local.path().join("top.txt")).unwrap(),
        b"new top"
    );
}

#[test]
fn listing_while_not_connected_says_so() {
    let engine = engine();
    engine.handle.send(Command::List {
        path: AnyPath::Remote(b"/".to_vec()),
        show_hidden: false,
    });
    let message = wait_for(&engine.events, "ListingFailed", |e| match e {
        Event::ListingFailed { message, .. } => Some(message),
        _ => None,
    });
    assert!(message.contains("not connected"), "{message}");
}

#[test]
fn auto_mode_lists_through_active_when_the_passive_data_port_is_blocked() {
    use support::fake::{FakeServer, Step, engine_open_script, passive_blocked_active_listing};
    let rt = server_runtime();
    let mut steps = engine_open_script();
    steps.extend(passive_blocked_active_listing(
        b"-rw-r--r-- 1 u g 5 Jan  1  2024 through-active.txt\r\n",
    ));
    steps.push(Step::Hold);
    let fake = rt.block_on(FakeServer::start(steps));
    let engine = engine();
    let mut o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw");
    o.auto_fallback = true;
    o.timeouts.data_connect = Duration::from_secs(2);
    let started = Instant::now();
    engine.handle.send(Command::Connect {
        options: o,
        initial_path: None,
    });
    let mut notice = None;
    let mut waits = Vec::new();
    let entries = wait_for(&engine.events, "Listing", |e| match e {
        Event::DataModeSwitched {
            server,
            mode,
            notice: n,
        } => {
            assert_eq!(mode, DataMode::Active);
            assert_eq!(server, format!("user@127.0.0.1:{}", fake.addr.port()));
            notice = Some(n);
            None
        }
        Event::Busy {
            what: Some(what), ..
        } => {
            waits.push(what);
            None
        }
        Event::Listing { entries, .. } => Some(entries),
        Event::ListingFailed { message, .. } => panic!("listing failed: {message}"),
        _ => None,
    });
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(entries.len(), 1);
    assert_eq!(&*entries[0].display_name, "through-active.txt");
    let notice = notice.expect("the UI is told why the mode changed");
    assert!(
        notice.starts_with("Passive data connection to 127.0.0.1:")
            && notice.ends_with("timed out after 2 s; switched to active mode"),
        "{notice}"
    );
    // The status line named every wait on the way.
    for want in [
        "Waiting for reply to EPSV…",
        "Opening data connection (passive) to 127.0.0.1:",
        "Waiting for reply to PORT…",
        "Waiting for reply to LIST…",
        "Waiting for the server to connect (active)",
    ] {
        assert!(
            waits.iter().any(|w| w.starts_with(want)),
            "{want}: {waits:?}"
        );
    }
}

#[test]
fn keep_alive_sends_noop_while_idle_and_reports_a_dead_connection() {
    use support::fake::{FakeServer, Step, engine_open_script};
    let rt = server_runtime();
    let mut steps = engine_open_script();
    steps.extend([
        Step::Expect("EPSV".into()),
        Step::EpsvReply,
        Step::Expect("LIST".into()),
        Step::Send(b"150 here\r\n".to_vec()),
        Step::DataSend(b"-rw-r--r-- 1 u g 5 Jan  1  2024 a.txt\r\n".to_vec()),
        Step::Send(b"226 done\r\n".to_vec()),
        Step::Expect("NOOP".into()),
        Step::Send(b"200 still here\r\n".to_vec()),
        // Then the server (or a NAT box between) goes silent.
        Step::Expect("NOOP".into()),
        Step::Hold,
    ]);
    let fake = rt.block_on(FakeServer::start(steps));
    let engine = engine();
    let mut o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw");
    o.keepalive = Some(Duration::from_millis(400));
    o.timeouts.reply = Duration::from_secs(1);
    engine.handle.send(Command::Connect {
        options: o,
        initial_path: None,
    });
    wait_for(&engine.events, "Listing", |e| {
        matches!(e, Event::Listing { .. }).then_some(())
    });
    let started = Instant::now();
    let mut noops = 0;
    let reason = wait_for(&engine.events, "Disconnected", |e| match e {
        Event::Log(l) if l.text == "NOOP" => {
            noops += 1;
            None
        }
        Event::Disconnected { reason } => Some(reason),
        _ => None,
    });
    let waited = started.elapsed();
    assert_eq!(noops, 2);
    // Two idle intervals and the reply deadline, with no click at all.
    assert!(
        waited >= Duration::from_millis(1700) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    let reason = reason.expect("a lost connection has a reason");
    assert!(reason.contains("control connection timed out"), "{reason}");
    drop(engine);
    rt.block_on(fake.finish());
}

#[test]
fn a_server_dropping_an_idle_session_is_reported_without_any_click() {
    use support::fake::{FakeServer, Step, engine_open_script};
    let rt = server_runtime();
    let mut steps = engine_open_script();
    steps.extend([
        Step::Expect("EPSV".into()),
        Step::EpsvReply,
        Step::Expect("LIST".into()),
        Step::Send(b"150 here\r\n".to_vec()),
        Step::DataSend(b"-rw-r--r-- 1 u g 5 Jan  1  2024 a.txt\r\n".to_vec()),
        Step::Send(b"226 done\r\n".to_vec()),
        Step::Sleep(Duration::from_millis(300)),
        Step::Send(b"421 Idle timeout, closing control connection\r\n".to_vec()),
    ]);
    let fake = rt.block_on(FakeServer::start(steps));
    let engine = engine();
    let o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw");
    engine.handle.send(Command::Connect {
        options: o,
        initial_path: None,
    });
    wait_for(&engine.events, "Listing", |e| {
        matches!(e, Event::Listing { .. }).then_some(())
    });
    let started = Instant::now();
    let reason = wait_for(&engine.events, "Disconnected", |e| match e {
        Event::Disconnected { reason } => Some(reason),
        _ => None,
    });
    assert!(started.elapsed() < Duration::from_secs(3));
    let reason = reason.expect("a lost connection has a reason");
    assert!(
        reason.contains("421") && reason.contains("reconnect"),
        "{reason}"
    );
}

/// A server that drops the connection in the middle of a command: the
/// window is told once, as a lost connection, not also as a failed operation
/// (which showed a second banner).
#[test]
fn a_connection_dropped_during_a_command_is_reported_once_as_lost() {
    use support::fake::{FakeServer, Step, engine_open_script};
    let rt = server_runtime();
    let mut steps = engine_open_script();
    steps.extend([
        Step::Expect("EPSV".into()),
        Step::EpsvReply,
        Step::Expect("LIST".into()),
        Step::Send(b"150 here\r\n".to_vec()),
        Step::DataSend(b"-rw-r--r-- 1 u g 5 Jan  1  2024 a.txt\r\n".to_vec()),
        Step::Send(b"226 done\r\n".to_vec()),
        // The script ends here: the fake closes the control connection.
        Step::Expect("MKD".into()),
    ]);
    let fake = rt.block_on(FakeServer::start(steps));
    let engine = engine();
    let o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw");
    engine.handle.send(Command::Connect {
        options: o,
        initial_path: None,
    });
    wait_for(&engine.events, "Listing", |e| {
        matches!(e, Event::Listing { .. }).then_some(())
    });
    engine.handle.send(Command::MakeDir {
        path: AnyPath::Remote(b"/new".to_vec()),
    });
    let mut failures = Vec::new();
    let reason = wait_for(&engine.events, "Disconnected", |e| match e {
        Event::OperationFailed { message, .. } | Event::ListingFailed { message, .. } => {
            failures.push(message);
            None
        }
        Event::Disconnected { reason } => Some(reason),
        _ => None,
    });
    assert!(reason.is_some(), "a lost connection has a reason");
    assert_eq!(failures, Vec::<String>::new(), "reported twice");
    drop(engine);
    rt.block_on(fake.finish());
}

#[test]
fn a_failed_active_listing_gets_back_in_step_and_the_next_listing_works() {
    use support::fake::{FakeServer, Step, engine_open_script};
    let rt = server_runtime();
    let mut steps = engine_open_script();
    steps.extend([
        // The first listing: PORT accepted, but the server never connects.
        Step::Expect("PORT 127,0,0,1,".into()),
        Step::Send(b"200 PORT ok\r\n".to_vec()),
        Step::Expect("LIST".into()),
        Step::Send(b"150 connecting\r\n".to_vec()),
        // The client gives up after its deadline and says so at once.
        Step::Expect("ABOR".into()),
        Step::Expect("PWD".into()),
        Step::Send(b"425 could not connect\r\n225 no transfer to abort\r\n257 \"/\"\r\n".to_vec()),
        // Nothing owed is left to arrive while idle; the next listing works.
        Step::Sleep(Duration::from_millis(300)),
        Step::Expect("PORT 127,0,0,1,".into()),
        Step::Send(b"200 PORT ok\r\n".to_vec()),
        Step::Expect("LIST /again".into()),
        Step::Send(b"150 here\r\n".to_vec()),
        Step::ActiveConnectSend(b"-rw-r--r-- 1 u g 5 Jan  1  2024 b.txt\r\n".to_vec()),
        Step::Send(b"226 done\r\n".to_vec()),
        Step::Hold,
    ]);
    let fake = rt.block_on(FakeServer::start(steps));
    let engine = engine();
    let mut o = ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw");
    o.mode = DataMode::Active;
    o.timeouts.data_connect = Duration::from_secs(1);
    engine.handle.send(Command::Connect {
        options: o,
        initial_path: None,
    });
    let message = wait_for(&engine.events, "ListingFailed", |e| match e {
        Event::ListingFailed { message, .. } => Some(message),
        Event::Listing { .. } => panic!("the first listing cannot work"),
        _ => None,
    });
    assert!(
        message.contains("waiting for the server to connect (active)"),
        "{message}"
    );
    std::thread::sleep(Duration::from_millis(500));
    engine.handle.send(Command::List {
        path: AnyPath::Remote(b"/again".to_vec()),
        show_hidden: false,
    });
    let entries = wait_for(&engine.events, "Listing", |e| match e {
        Event::Listing { entries, .. } => Some(entries),
        Event::Disconnected { reason } => panic!("the session was dropped: {reason:?}"),
        _ => None,
    });
    assert_eq!(&*entries[0].display_name, "b.txt");
}

#[test]
fn commands_and_events_carrying_a_password_do_not_show_it_in_debug_output() {
    let secret = "pw-that-must-not-leak";
    let options = ConnectOptions::new("ftp.example.com", 21, "alice", secret);
    let certificate = Box::new(ferry::ftp::CertificateInfo::from_der(b"not a certificate"));
    let shown = [
        format!(
            "{:?}",
            Command::Connect {
                options: options.clone(),
                initial_path: None,
            }
        ),
        format!(
            "{:#?}",
            Command::TestConnection {
                id: 1,
                options: options.clone(),
                path: None,
            }
        ),
        format!(
            "{:?}",
            Event::CertificateUntrusted {
                certificate,
                reason: "self-signed".into(),
                options: Box::new(options),
                initial_path: None,
            }
        ),
    ];
    for text in shown {
        assert!(!text.contains(secret), "{text}");
        assert!(
            text.contains("alice@") || text.contains("\"alice\""),
            "{text}"
        );
    }
}
