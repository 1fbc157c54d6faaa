//! `site:NAME` on a machine without a keyring: the command line reads the
//! password the window saved in the encrypted password file, unlocked with
//! `FERRY_MASTER_PASSWORD` (or the master password asked on the terminal).

mod support;

use std::path::Path;
use std::process::Output;

use ferry::sites::{KdfCost, LogonType, PASSWORD_FILE, PasswordFile, Site, SiteList, SiteStore};
use support::cli::Ferry;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};

/// A cheap key for tests; the file records its cost, so Ferry opens it alike.
const CHEAP: KdfCost = KdfCost {
    memory_kib: 256,
    passes: 1,
    lanes: 1,
};

/// A config folder holding one site with a remembered password, stored in
/// the password file under `master`.
fn config_with_site(server: &TestServer, master: &str) -> tempfile::TempDir {
    let config = tempfile::tempdir().unwrap();
    let mut site = Site::new("Box", "127.0.0.1");
    site.port = Some(server.addr.port());
    site.user = USER.to_string();
    site.logon = LogonType::Normal;
    site.remember_password = true;
    let file = PasswordFile::with_cost(config.path().join(PASSWORD_FILE), CHEAP);
    file.unlock(master).unwrap();
    file.set(&site.id, PASSWORD).unwrap();
    let list = SiteList {
        sites: vec![site],
        ..SiteList::default()
    };
    SiteStore::at(config.path()).save(&list).unwrap();
    config
}

/// Run `ferry ARGS` with no keyring reachable (no session bus), no
/// `FERRY_PASSWORD`, no terminal, and `master` (if any) as the master password.
async fn ferry(args: &[&str], cwd: &Path, config: &Path, master: Option<&str>) -> Output {
    let mut ferry = Ferry::new(args)
        .cwd(cwd)
        .config(config)
        .password(None)
        .env_remove("FERRY_MASTER_PASSWORD")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/ferry-test-bus",
        );
    if let Some(m) = master {
        ferry = ferry.env("FERRY_MASTER_PASSWORD", m);
    }
    ferry.run().await
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_urls_read_the_password_file_when_no_keyring_answers() {
    let server = TestServer::start(ServerOptions::default()).await;
    std::fs::create_dir_all(server.path("pub")).unwrap();
    std::fs::write(server.path("pub/hello.txt"), b"hello from the file").unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = config_with_site(&server, "correct horse");

    let o = ferry(
        &["get", "site:Box/pub/hello.txt"],
        work.path(),
        config.path(),
        Some("correct horse"),
    )
    .await;
    assert!(o.status.success(), "get: {}", stderr(&o));
    assert_eq!(
        std::fs::read(work.path().join("hello.txt")).unwrap(),
        b"hello from the file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_master_password_is_a_clear_error_and_changes_nothing() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().unwrap();
    let config = config_with_site(&server, "correct horse");
    let before = std::fs::read(config.path().join(PASSWORD_FILE)).unwrap();

    let o = ferry(
        &["ls", "site:Box/"],
        work.path(),
        config.path(),
        Some("wrong"),
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("master password does not open the password file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(config.path().join(PASSWORD_FILE)).unwrap(),
        before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_master_password_or_terminal_it_says_which_variable_to_set() {
    let server = TestServer::start(ServerOptions::default()).await;
    let work = tempfile::tempdir().unwrap();
    let config = config_with_site(&server, "correct horse");

    let o = ferry(&["ls", "site:Box/"], work.path(), config.path(), None).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("FERRY_MASTER_PASSWORD"),
        "{}",
        stderr(&o)
    );
}
