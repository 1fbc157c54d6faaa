//! Edit in place through the engine contract, against the in-process
//! libunftp server, with a scripted "editor" (a shell that appends a line,
//! as a user saving would).

mod support;

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use ferry::engine::edit::{EditCommand, EditEvent, EditState, EditView};
use ferry::engine::{Command, Engine, Event};
use ferry::ftp::ConnectOptions;
use ferry::prefs::EditorCommand;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An editor that appends `line` to the file and exits, like a user saving.
fn appending_editor(line: &str) -> EditorCommand {
    EditorCommand::parse(&format!(
        "sh -c 'printf \"%s\\n\" \"{line}\" >> \"$1\"' sh {{}}"
    ))
    .unwrap()
    .unwrap()
}

/// An editor that changes nothing.
fn idle_editor() -> EditorCommand {
    EditorCommand::parse("true {}").unwrap().unwrap()
}

fn connected_engine(server: &TestServer) -> Engine {
    let engine = Engine::start(std::sync::Arc::new(|| {})).expect("engine starts");
    engine.handle.send(Command::Connect {
        options: ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD),
        initial_path: None,
    });
    wait(&engine.events, "Connected", |e| match e {
        Event::Connected { .. } => Some(()),
        Event::ConnectFailed { message, .. } => panic!("connect failed: {message}"),
        _ => None,
    });
    engine
}

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

/// The next view of an edited file whose state `want` accepts (a failure panics).
fn wait_state(events: &Receiver<Event>, what: &str, want: impl Fn(&EditState) -> bool) -> EditView {
    wait(events, what, |e| match e {
        Event::Edit(EditEvent::Changed(v)) if want(&v.state) => Some(*v),
        Event::Edit(EditEvent::Changed(v)) => match &v.state {
            EditState::Failed(why) if !want(&v.state) => panic!("edit failed: {why}"),
            _ => None,
        },
        Event::OperationFailed { message, .. } => panic!("failed: {message}"),
        _ => None,
    })
}

fn send(engine: &Engine, c: EditCommand) {
    engine.handle.send(Command::Edit(c));
}

#[cfg(unix)]
fn mode_of(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_save_asks_then_uploads_and_stopping_removes_the_private_copy() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::create_dir(server.path("www")).unwrap();
    std::fs::write(server.path("www/index.html"), "<p>hello</p>\n").unwrap();
    let engine = connected_engine(&server);

    send(
        &engine,
        EditCommand::Open {
            remote: b"/www/index.html".to_vec(),
            editor: Some(appending_editor("<p>added</p>")),
            watch: true,
        },
    );
    let changed = wait_state(&engine.events, "a save to ask about", |s| {
        *s == EditState::Changed
    });
    assert!(changed.unsent);
    assert!(changed.watched);
    let local: PathBuf = changed.local.clone();
    assert_eq!(local.file_name().unwrap(), "index.html", "the name is kept");
    #[cfg(unix)]
    {
        assert_eq!(mode_of(local.parent().unwrap()), 0o700);
        assert_eq!(mode_of(&local), 0o600);
    }
    // Nothing reached the server before the user said so.
    assert_eq!(
        std::fs::read_to_string(server.path("www/index.html")).unwrap(),
        "<p>hello</p>\n"
    );

    send(
        &engine,
        EditCommand::Upload {
            id: changed.id,
            always: false,
            overwrite: false,
        },
    );
    let uploaded = wait_state(&engine.events, "the upload", |s| {
        matches!(s, EditState::Uploaded { note: None, .. })
    });
    assert!(!uploaded.unsent);
    assert_eq!(
        std::fs::read_to_string(server.path("www/index.html")).unwrap(),
        "<p>hello</p>\n<p>added</p>\n"
    );

    send(&engine, EditCommand::Stop { id: changed.id });
    wait(&engine.events, "Removed", |e| match e {
        Event::Edit(EditEvent::Removed(id)) if id == changed.id => Some(()),
        _ => None,
    });
    assert!(!local.exists(), "the copy is deleted");
    assert!(!local.parent().unwrap().exists(), "and its folder");
}

#[test]
fn a_remote_change_is_caught_and_keep_both_or_theirs_lose_nothing() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::write(server.path("notes.txt"), "one\n").unwrap();
    let engine = connected_engine(&server);

    send(
        &engine,
        EditCommand::Open {
            remote: b"/notes.txt".to_vec(),
            editor: Some(appending_editor("mine")),
            watch: true,
        },
    );
    let changed = wait_state(&engine.events, "a save", |s| *s == EditState::Changed);
    // Meanwhile someone else changes the server's copy.
    std::fs::write(server.path("notes.txt"), "one\ntheirs, longer\n").unwrap();
    send(
        &engine,
        EditCommand::Upload {
            id: changed.id,
            always: false,
            overwrite: false,
        },
    );
    let conflict = wait_state(&engine.events, "the remote-changed warning", |s| {
        matches!(s, EditState::RemoteChanged { .. })
    });
    let EditState::RemoteChanged { theirs, ours } = conflict.state else {
        unreachable!()
    };
    assert_eq!((ours.size, theirs.size), (Some(4), Some(19)));
    assert_eq!(
        std::fs::read_to_string(server.path("notes.txt")).unwrap(),
        "one\ntheirs, longer\n",
        "their change was not overwritten"
    );

    send(&engine, EditCommand::KeepBoth { id: changed.id });
    let kept = wait_state(&engine.events, "keep both", |s| {
        matches!(s, EditState::Uploaded { note: Some(_), .. })
    });
    assert_eq!(kept.remote, b"/notes (1).txt");
    assert_eq!(
        std::fs::read_to_string(server.path("notes (1).txt")).unwrap(),
        "one\nmine\n"
    );
    assert_eq!(
        std::fs::read_to_string(server.path("notes.txt")).unwrap(),
        "one\ntheirs, longer\n"
    );

    // "Download theirs" replaces the local copy with the server's.
    std::fs::write(server.path("notes (1).txt"), "replaced on the server\n").unwrap();
    send(&engine, EditCommand::DownloadTheirs { id: changed.id });
    wait_state(&engine.events, "download theirs", |s| {
        *s == EditState::Watching
    });
    assert_eq!(
        std::fs::read_to_string(&kept.local).unwrap(),
        "replaced on the server\n"
    );
}

#[test]
fn always_for_this_file_uploads_later_saves_without_asking() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::write(server.path("a.conf"), "x=1\n").unwrap();
    let engine = connected_engine(&server);

    send(
        &engine,
        EditCommand::Open {
            remote: b"/a.conf".to_vec(),
            editor: Some(appending_editor("y=2")),
            watch: true,
        },
    );
    let changed = wait_state(&engine.events, "a save", |s| *s == EditState::Changed);
    send(
        &engine,
        EditCommand::Upload {
            id: changed.id,
            always: true,
            overwrite: false,
        },
    );
    wait_state(&engine.events, "the first upload", |s| {
        matches!(s, EditState::Uploaded { .. })
    });
    // The next save (the user again) goes up on its own.
    std::fs::write(&changed.local, "x=1\ny=2\nz=3\n").unwrap();
    // (A write may be seen half done and sent, then sent again whole: the
    // last upload is what counts.)
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let view = wait_state(&engine.events, "the second upload", |s| {
            matches!(s, EditState::Uploaded { .. })
        });
        assert!(view.always);
        if std::fs::read_to_string(server.path("a.conf")).unwrap() == "x=1\ny=2\nz=3\n" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the save never reached the server whole"
        );
    }
}

#[test]
fn viewing_opens_a_read_only_copy_that_is_not_watched_and_quitting_removes_it() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::write(server.path("readme.md"), "# hi\n").unwrap();
    let engine = connected_engine(&server);
    send(
        &engine,
        EditCommand::Open {
            remote: b"/readme.md".to_vec(),
            editor: Some(idle_editor()),
            watch: false,
        },
    );
    let view = wait_state(&engine.events, "viewing", |s| *s == EditState::Viewing);
    assert_eq!(std::fs::read_to_string(&view.local).unwrap(), "# hi\n");
    #[cfg(unix)]
    assert_eq!(mode_of(&view.local), 0o400);
    // Ferry quits: the engine goes, and the copies with it.
    drop(engine);
    assert!(!view.local.parent().unwrap().exists());
}

#[test]
fn a_missing_remote_file_fails_with_the_servers_reason_and_keeps_nothing_half_done() {
    let rt = server_runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let engine = connected_engine(&server);
    send(
        &engine,
        EditCommand::Open {
            remote: b"/nope.txt".to_vec(),
            editor: Some(idle_editor()),
            watch: true,
        },
    );
    let failed = wait(&engine.events, "the failure", |e| match e {
        Event::Edit(EditEvent::Changed(v)) if matches!(v.state, EditState::Failed(_)) => Some(*v),
        _ => None,
    });
    let EditState::Failed(why) = &failed.state else {
        unreachable!()
    };
    assert!(why.contains("nope.txt"), "{why}");
    assert!(!failed.local.exists());
}

#[test]
fn a_local_file_opens_in_the_editor_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "one\n").unwrap();
    let engine = Engine::start(std::sync::Arc::new(|| {})).expect("engine starts");
    send(
        &engine,
        EditCommand::OpenLocal {
            path: file.clone(),
            editor: Some(appending_editor("two")),
        },
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&file).unwrap() != "one\ntwo\n" {
        assert!(
            Instant::now() < deadline,
            "the editor never ran on the file"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
