//! Changing permissions through the engine contract: recursively against
//! the in-process server (its SITE CHMOD changes the files, which the test
//! reads back); a server without SITE CHMOD (scripted: Windows servers
//! answer 502) must get a plain message.

mod support;

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use ferry::engine::chmod::{Bit, ChmodCommand, ChmodEvent, ChmodItem, ModeChange, Recurse};
use ferry::engine::{AnyPath, Command, Engine, Event};
use ferry::ftp::ConnectOptions;
use support::fake::{FakeServer, Step, engine_open_script, login_script};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

fn wait<T>(events: &Receiver<Event>, what: &str, mut pick: impl FnMut(Event) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(e) => {
                if let Some(t) = pick(e) {
                    return t;
                }
            }
            Err(_) => panic!("no {what} within 15 s"),
        }
    }
}

fn connect(engine: &Engine, options: ConnectOptions) {
    engine.handle.send(Command::Connect {
        options,
        initial_path: None,
    });
    wait(&engine.events, "Listing", |e| match e {
        Event::Listing { .. } => Some(()),
        Event::ConnectFailed { message, .. } => panic!("connect failed: {message}"),
        _ => None,
    });
}

fn finished(engine: &Engine) -> ChmodEvent {
    wait(&engine.events, "the end of the change", |e| match e {
        Event::Chmod(ChmodEvent::Progress { .. }) => None,
        Event::Chmod(end) => Some(end),
        _ => None,
    })
}

#[cfg(unix)]
#[test]
fn a_recursive_change_on_the_server_changes_what_it_should_and_never_guesses() {
    use std::os::unix::fs::PermissionsExt;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::create_dir_all(server.path("www/sub")).unwrap();
    std::fs::write(server.path("www/a.txt"), "a").unwrap();
    std::fs::write(server.path("www/sub/b.sh"), "b").unwrap();
    let set = |p: &str, m: u32| {
        std::fs::set_permissions(server.path(p), std::fs::Permissions::from_mode(m)).unwrap()
    };
    set("www", 0o755);
    set("www/sub", 0o755);
    set("www/a.txt", 0o644);
    set("www/sub/b.sh", 0o755);
    let engine = Engine::start(std::sync::Arc::new(|| {})).unwrap();
    connect(
        &engine,
        ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD),
    );
    engine.handle.send(Command::Chmod(ChmodCommand::Apply {
        items: vec![ChmodItem {
            path: AnyPath::Remote(b"/www".to_vec()),
            is_dir: true,
            current: Some(0o755),
        }],
        change: ModeChange::exact(0o750),
        recurse: Recurse::FilesOnly,
    }));
    let end = finished(&engine);
    let ChmodEvent::Done {
        changed,
        problems,
        cancelled,
        refresh,
        ..
    } = end
    else {
        panic!("{end:?}")
    };
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        (changed, cancelled),
        (3, false),
        "the folder and its two files"
    );
    assert_eq!(refresh, AnyPath::Remote(b"/".to_vec()));
    let mode = |p: &str| {
        std::fs::metadata(server.path(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("www"), 0o750);
    assert_eq!(mode("www/a.txt"), 0o750);
    assert_eq!(mode("www/sub/b.sh"), 0o750);
    assert_eq!(mode("www/sub"), 0o755, "files only: the subfolder is left");

    // libunftp's MLSD gives no Unix modes: boxes left mixed cannot be kept
    // for what is inside, and Ferry says so rather than guess.
    let mut bits = [Bit::Keep; 9];
    bits[4] = Bit::Set;
    engine.handle.send(Command::Chmod(ChmodCommand::Apply {
        items: vec![ChmodItem {
            path: AnyPath::Remote(b"/www".to_vec()),
            is_dir: true,
            current: Some(0o750),
        }],
        change: ModeChange(bits),
        recurse: Recurse::FilesOnly,
    }));
    let ChmodEvent::Done {
        changed, problems, ..
    } = finished(&engine)
    else {
        panic!("done")
    };
    assert_eq!(changed, 1, "only the folder, whose mode the dialog knew");
    assert_eq!(mode("www"), 0o770);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("set every box"), "{problems:?}");
    assert_eq!(mode("www/a.txt"), 0o750, "unchanged, not guessed");
}

fn send(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}

fn expect(s: &str) -> Step {
    Step::Expect(s.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_site_chmod_gets_a_plain_message_and_nothing_changes() {
    // The browsing connection lists the login folder and stays a moment
    // (the fake serves one connection at a time: the change's waits for it).
    let mut browse = engine_open_script();
    browse.extend([
        expect("EPSV"),
        Step::EpsvReply,
        expect("LIST"),
        send("150 here\r\n"),
        Step::DataSend(b"-rw-r--r-- 1 u g 5 Jan  1  2024 a.txt\r\n".to_vec()),
        send("226 done\r\n"),
        Step::Sleep(Duration::from_millis(1500)),
    ]);
    // The change's own connection: a Windows-like server without SITE CHMOD.
    let mut change = login_script();
    change.extend([
        expect("SITE CHMOD 600 /a.txt"),
        send("502 Command not implemented\r\n"),
        expect("QUIT"),
        send("221 bye\r\n"),
    ]);
    let fake = FakeServer::start_sessions(vec![browse, change]).await;
    let port = fake.addr.port();
    let end = tokio::task::spawn_blocking(move || {
        let engine = Engine::start(std::sync::Arc::new(|| {})).unwrap();
        connect(
            &engine,
            ConnectOptions::new("127.0.0.1", port, "user", "pw"),
        );
        engine.handle.send(Command::Chmod(ChmodCommand::Apply {
            items: vec![ChmodItem {
                path: AnyPath::Remote(b"/a.txt".to_vec()),
                is_dir: false,
                current: Some(0o644),
            }],
            change: ModeChange::exact(0o600),
            recurse: Recurse::No,
        }));
        finished(&engine)
    })
    .await
    .unwrap();
    let ChmodEvent::Failed {
        message, refused, ..
    } = end
    else {
        panic!("a refusal, not {end:?}")
    };
    assert!(refused);
    assert!(
        message.starts_with(
            "the server does not allow changing permissions (SITE CHMOD refused: 502 Command not implemented)"
        ),
        "{message}"
    );
    assert!(message.ends_with(&format!("127.0.0.1:{port}")), "{message}");
    let report = fake.finish().await;
    assert_eq!(
        report
            .commands
            .iter()
            .filter(|c| c.starts_with("SITE"))
            .count(),
        1,
        "one refusal is enough: {:?}",
        report.commands
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferry_chmod_sets_a_file_and_with_r_a_whole_folder() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir_all(server.path("www/sub")).unwrap();
    std::fs::write(server.path("www/a.txt"), "a").unwrap();
    std::fs::write(server.path("www/sub/b.txt"), "b").unwrap();
    std::fs::write(server.path("key"), "k").unwrap();
    let run = |args: Vec<String>| {
        let ferry = support::cli::Ferry::new(args).password(Some(PASSWORD));
        tokio::task::spawn_blocking(move || ferry.output())
    };
    let mode = |p: &str| {
        std::fs::metadata(server.path(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };

    let out = run(vec!["chmod".into(), "600".into(), server.url("/key")])
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode("key"), 0o600);

    let out = run(vec![
        "chmod".into(),
        "-r".into(),
        "750".into(),
        server.url("/www"),
    ])
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("4 items set to 750"), "{err}");
    for p in ["www", "www/sub", "www/a.txt", "www/sub/b.txt"] {
        assert_eq!(mode(p), 0o750, "{p}");
    }

    let out = run(vec!["chmod".into(), "rw".into(), server.url("/key")])
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("three octal digits"));
}
