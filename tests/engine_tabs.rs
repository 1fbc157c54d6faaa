//! Several browsing sessions at once (the window's tabs): commands inside
//! `Command::Tab` reach that tab's session, its events come back tagged with
//! the tab, and transfers queued from a tab go to that tab's server.

mod support;

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use ferry::engine::{AnyPath, Command, Direction, Engine, Event, PathItem, TabId};
use ferry::ftp::{ConnectOptions, DataMode};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

fn tab(id: u64, command: Command) -> Command {
    Command::Tab {
        tab: TabId(id),
        command: Box::new(command),
    }
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

fn server(rt: &tokio::runtime::Runtime, file: &str) -> TestServer {
    let server = rt.block_on(TestServer::start(ServerOptions {
        tls: false,
        active: true,
    }));
    std::fs::write(server.path(file), file.as_bytes()).unwrap();
    server
}

fn connect(server: &TestServer) -> Command {
    let mut options = ConnectOptions::new("127.0.0.1", server.addr.port(), USER, PASSWORD);
    options.mode = DataMode::Passive;
    Command::Connect {
        options,
        initial_path: None,
    }
}

/// The names in a listing event for tab `want` (None: an untagged one).
fn listing(event: Event, want: Option<u64>) -> Option<Vec<String>> {
    let (tab, event) = match event {
        Event::Tab { tab, event } => (Some(tab.0), *event),
        other => (None, other),
    };
    match event {
        Event::Listing {
            path: AnyPath::Remote(_),
            entries,
        } if tab == want => Some(entries.into_iter().map(|e| e.display_name.into()).collect()),
        Event::ConnectFailed { message, .. } => panic!("connect failed: {message}"),
        _ => None,
    }
}

#[test]
fn two_tabs_browse_two_servers_at_once_and_queue_to_their_own() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let a = server(&rt, "on-a.txt");
    let b = server(&rt, "on-b.txt");
    let engine = Engine::start(std::sync::Arc::new(|| {})).expect("engine starts");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("up.txt"), b"to whichever tab asked").unwrap();

    engine.handle.send(tab(1, connect(&a)));
    let names = wait_for(&engine.events, "tab 1's listing", |e| listing(e, Some(1)));
    assert_eq!(names, ["on-a.txt"]);
    // A second session beside the first, not replacing it.
    engine.handle.send(tab(2, connect(&b)));
    let names = wait_for(&engine.events, "tab 2's listing", |e| listing(e, Some(2)));
    assert_eq!(names, ["on-b.txt"]);
    engine.handle.send(tab(
        1,
        Command::List {
            path: AnyPath::Remote(b"/".to_vec()),
            show_hidden: false,
        },
    ));
    let names = wait_for(&engine.events, "tab 1 listed again", |e| {
        listing(e, Some(1))
    });
    assert_eq!(names, ["on-a.txt"], "tab 1 still on server A");
    // The default session is a third, not connected.
    engine.handle.send(Command::List {
        path: AnyPath::Remote(b"/".to_vec()),
        show_hidden: false,
    });
    wait_for(
        &engine.events,
        "the default session's answer",
        |e| match e {
            Event::ListingFailed { .. } => Some(()),
            _ => None,
        },
    );

    // An upload queued from tab 1, after tab 2 connected, goes to server A.
    engine.handle.send(tab(
        1,
        Command::Enqueue {
            direction: Direction::Upload,
            sources: vec![PathItem {
                path: AnyPath::Local(local.path().join("up.txt")),
                is_dir: false,
            }],
            target_dir: AnyPath::Remote(b"/".to_vec()),
            on_existing: None,
        },
    ));
    wait_for(&engine.events, "the queue idle", |e| match e {
        Event::QueueIdle { done: 1, .. } => Some(()),
        Event::QueueIdle { .. } => panic!("the upload failed"),
        _ => None,
    });
    assert_eq!(
        std::fs::read(a.path("up.txt")).unwrap(),
        b"to whichever tab asked"
    );
    assert!(!b.path("up.txt").exists());

    // Disconnecting tab 2 leaves tab 1 connected.
    engine.handle.send(tab(2, Command::Disconnect));
    wait_for(&engine.events, "tab 2 disconnected", |e| match e {
        Event::Tab {
            tab: TabId(2),
            event,
        } => matches!(*event, Event::Disconnected { .. }).then_some(()),
        _ => None,
    });
    engine.handle.send(tab(
        1,
        Command::List {
            path: AnyPath::Remote(b"/".to_vec()),
            show_hidden: false,
        },
    ));
    let mut names = wait_for(&engine.events, "tab 1 listed", |e| listing(e, Some(1)));
    names.sort();
    assert_eq!(names, ["on-a.txt", "up.txt"]);
}
