//! A big remote folder streaming in: the engine reports how many entries
//! have arrived, a listing can be cancelled (the data connection is closed
//! and ABOR brings the session back in step), and the next command works
//! on the same connection. Against the scripted fake server, which can hold
//! a listing half sent, as a slow server does.

mod support;

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use ferry::engine::{AnyPath, Command, Engine, Event};
use ferry::ftp::ConnectOptions;
use support::fake::{FakeServer, NEXT_CONNECTION, Step, engine_open_script};

/// Entries the slow server sends before it stalls.
const SENT: usize = 50_000;

fn engine() -> Engine {
    Engine::start(std::sync::Arc::new(|| {})).expect("engine starts")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
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

fn lines(n: usize, prefix: &str) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("-rw-r--r-- 1 u g 5 Jan  1  2024 {prefix}{i}.txt\r\n").into_bytes())
        .collect()
}

fn send(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}

fn expect(s: &str) -> Step {
    Step::Expect(s.to_string())
}

/// Login, a small home folder, then `/big`: 50,000 entries and a stall
/// until the client closes the data connection; then ABOR is answered as
/// RFC 959 says (426, 226, and the marker PWD's 257), and `/small` lists.
fn script() -> Vec<Step> {
    let mut steps = engine_open_script();
    steps.extend([
        expect("EPSV"),
        Step::EpsvReply,
        expect("LIST /"),
        send("150 here\r\n"),
        Step::DataSend(b"-rw-r--r-- 1 u g 5 Jan  1  2024 home.txt\r\n".to_vec()),
        send("226 done\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("LIST /big"),
        send("150 here comes a lot\r\n"),
        Step::DataSendAndHold(lines(SENT, "big")),
        Step::WaitDataClosed,
        expect("ABOR"),
        expect("PWD"),
        send("426 Connection closed; transfer aborted.\r\n226 ABOR successful\r\n257 \"/\"\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("LIST /small"),
        send("150 here\r\n"),
        Step::DataSend(lines(3, "small")),
        send("226 done\r\n"),
        Step::Hold,
    ]);
    steps
}

#[test]
fn a_streaming_listing_reports_its_count_and_cancelling_it_keeps_the_session() {
    let rt = runtime();
    let fake = rt.block_on(FakeServer::start(script()));
    let engine = engine();
    let mut options = ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw");
    options.timeouts.reply = Duration::from_secs(5);
    engine.handle.send(Command::Connect {
        options,
        initial_path: None,
    });
    wait_for(&engine.events, "Listing of /", |e| match e {
        Event::Listing { entries, .. } => Some(entries),
        Event::ListingFailed { message, .. } => panic!("listing failed: {message}"),
        _ => None,
    });

    let big = AnyPath::Remote(b"/big".to_vec());
    engine.handle.send(Command::List {
        path: big.clone(),
        show_hidden: false,
    });
    // The count grows as the lines arrive; the server then stalls, so the
    // listing cannot end on its own.
    let counted = wait_for(&engine.events, "ListingProgress", |e| match e {
        Event::ListingProgress { path, entries } => {
            assert_eq!(path, big);
            (entries > 0).then_some(entries)
        }
        Event::Listing { path, .. } => panic!("the stalled listing of {path:?} ended"),
        _ => None,
    });
    assert!(counted <= SENT as u64, "{counted}");

    engine.handle.send(Command::CancelListing);
    let cancelled = wait_for(&engine.events, "ListingCancelled", |e| match e {
        Event::ListingCancelled { path } => Some(path),
        Event::ListingFailed { message, .. } => panic!("cancel reported as a failure: {message}"),
        Event::Disconnected { reason } => panic!("the session was lost: {reason:?}"),
        _ => None,
    });
    assert_eq!(cancelled, big);

    // The same session lists the next folder.
    engine.handle.send(Command::List {
        path: AnyPath::Remote(b"/small".to_vec()),
        show_hidden: false,
    });
    let (path, entries) = wait_for(&engine.events, "Listing of /small", |e| match e {
        Event::Listing { path, entries } => Some((path, entries)),
        Event::ListingFailed { message, .. } => panic!("listing failed: {message}"),
        Event::Disconnected { reason } => panic!("the session was lost: {reason:?}"),
        _ => None,
    });
    assert_eq!(path, AnyPath::Remote(b"/small".to_vec()));
    let names: Vec<_> = entries.iter().map(|e| &*e.display_name).collect();
    assert_eq!(names, ["small0.txt", "small1.txt", "small2.txt"]);

    drop(engine);
    let report = rt.block_on(fake.finish());
    assert!(
        !report.commands.iter().any(|c| c == NEXT_CONNECTION),
        "no reconnect: {:?}",
        report.commands
    );
}

#[test]
fn a_cancel_that_comes_after_the_listing_ended_does_not_stop_the_next_one() {
    let rt = runtime();
    let mut steps = engine_open_script();
    for (path, name) in [("/", "first"), ("/next", "second")] {
        steps.extend([
            expect("EPSV"),
            Step::EpsvReply,
            expect(&format!("LIST {path}")),
            send("150 here\r\n"),
            Step::DataSend(format!("-rw-r--r-- 1 u g 5 Jan  1  2024 {name}.txt\r\n").into_bytes()),
            send("226 done\r\n"),
        ]);
    }
    steps.push(Step::Hold);
    let fake = rt.block_on(FakeServer::start(steps));
    let engine = engine();
    engine.handle.send(Command::Connect {
        options: ConnectOptions::new("127.0.0.1", fake.addr.port(), "user", "pw"),
        initial_path: None,
    });
    wait_for(&engine.events, "Listing of /", |e| match e {
        Event::Listing { .. } => Some(()),
        _ => None,
    });
    // Too late for the first listing: it must not carry over to the next.
    engine.handle.send(Command::CancelListing);
    engine.handle.send(Command::List {
        path: AnyPath::Remote(b"/next".to_vec()),
        show_hidden: false,
    });
    let entries = wait_for(&engine.events, "Listing of /next", |e| match e {
        Event::Listing { entries, .. } => Some(entries),
        Event::ListingCancelled { path } => panic!("{path:?} was cancelled"),
        _ => None,
    });
    assert_eq!(&*entries[0].display_name, "second.txt");
}
