//! The encrypted password file for machines without a keyring: Argon2id for
//! the key, ChaCha20-Poly1305 to seal, atomic writes; a wrong master password
//! is a clear error that changes nothing; and in the window, the master
//! password is asked for once per run.

mod support;

use std::path::Path;
use std::sync::Arc;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::sites::{
    ConnectionMode, KdfCost, KeyringOrFile, KeyringStatus, MemorySecrets, PASSWORD_FILE,
    PasswordFile, SecretStore, Site, SiteList, SiteStore, SitesError,
};
use ferry::ui::app::State;
use ferry::ui::{AppConfig, FerryApp, SitesConfig};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{remote_names, runtime, wait_until};

/// A cheap key for tests; real files use [`KdfCost::default`].
const CHEAP: KdfCost = KdfCost {
    memory_kib: 256,
    passes: 1,
    lanes: 1,
};

fn file_in(dir: &Path) -> PasswordFile {
    PasswordFile::with_cost(dir.join(PASSWORD_FILE), CHEAP)
}

#[test]
fn passwords_survive_a_restart_and_the_file_holds_none_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let file = file_in(dir.path());
    assert!(!file.exists());
    file.unlock("correct horse").unwrap();
    file.set("site-1", "s3cret-one").unwrap();
    file.set("site-2", "s3cret-two").unwrap();
    file.delete("site-2").unwrap();

    let text = std::fs::read_to_string(file.path()).unwrap();
    for clear in ["s3cret-one", "s3cret-two", "site-1", "correct horse"] {
        assert!(!text.contains(clear), "{clear} in the file:\n{text}");
    }
    assert!(text.contains("argon2id"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner may read it: {mode:o}");
    }

    // The next run: locked until the master password is given.
    let again = file_in(dir.path());
    assert!(matches!(
        again.get("site-1"),
        Err(SitesError::PasswordFileLocked)
    ));
    again.unlock("correct horse").unwrap();
    assert_eq!(again.get("site-1").unwrap().as_deref(), Some("s3cret-one"));
    assert_eq!(again.get("site-2").unwrap(), None);
}

#[test]
fn the_default_cost_opens_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let file = PasswordFile::new(dir.path().join(PASSWORD_FILE));
    file.unlock("m").unwrap();
    file.set("a", "pw").unwrap();
    let text = std::fs::read_to_string(file.path()).unwrap();
    assert!(text.contains("memory_kib = 65536"), "{text}");
    let again = PasswordFile::new(dir.path().join(PASSWORD_FILE));
    again.unlock("m").unwrap();
    assert_eq!(again.get("a").unwrap().as_deref(), Some("pw"));
}

#[test]
fn a_wrong_master_password_says_so_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = file_in(dir.path());
    file.unlock("right").unwrap();
    file.set("site", "pw").unwrap();
    let before = std::fs::read(file.path()).unwrap();

    let other = file_in(dir.path());
    let err = other.unlock("wrong").unwrap_err();
    assert!(
        matches!(err, SitesError::WrongMasterPassword { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("the master password does not open"),
        "{message}"
    );
    assert!(message.contains("nothing was changed"), "{message}");
    assert!(
        message.ends_with(&file.path().display().to_string()),
        "{message}"
    );
    // Still locked: nothing can be written over the file by mistake.
    assert!(!other.is_unlocked());
    assert!(matches!(
        other.set("site", "overwritten"),
        Err(SitesError::PasswordFileLocked)
    ));
    assert_eq!(std::fs::read(file.path()).unwrap(), before);
    other.unlock("right").unwrap();
    assert_eq!(other.get("site").unwrap().as_deref(), Some("pw"));
}

#[test]
fn a_changed_or_damaged_file_does_not_open_and_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let file = file_in(dir.path());
    file.unlock("right").unwrap();
    file.set("site", "pw").unwrap();
    let good = std::fs::read_to_string(file.path()).unwrap();

    // The header is sealed too: a lowered cost does not open.
    let cheaper = good.replace("passes = 1", "passes = 2");
    assert_ne!(cheaper, good);
    std::fs::write(file.path(), &cheaper).unwrap();
    let err = file_in(dir.path()).unlock("right").unwrap_err();
    assert!(
        matches!(err, SitesError::WrongMasterPassword { .. }),
        "{err:?}"
    );

    // Not a password file at all: said plainly, kept as it is.
    std::fs::write(file.path(), "this is not toml [").unwrap();
    let err = file_in(dir.path()).unlock("right").unwrap_err();
    assert!(
        matches!(err, SitesError::PasswordFileUnreadable { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("left untouched"), "{err}");
    assert_eq!(
        std::fs::read_to_string(file.path()).unwrap(),
        "this is not toml ["
    );
}

#[test]
fn a_failed_write_keeps_the_old_file_and_the_old_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let file = file_in(dir.path());
    file.unlock("m").unwrap();
    file.set("a", "1").unwrap();
    // Something that cannot be replaced by a file stands where it goes.
    std::fs::remove_file(file.path()).unwrap();
    std::fs::create_dir(file.path()).unwrap();
    std::fs::write(file.path().join("x"), b"x").unwrap();
    let err = file.set("b", "2").unwrap_err();
    assert!(matches!(err, SitesError::Write { .. }), "{err:?}");
    assert_eq!(file.get("a").unwrap().as_deref(), Some("1"));
    assert_eq!(file.get("b").unwrap(), None, "memory agrees with the disk");
    assert!(file.path().join("x").exists());
}

#[test]
fn an_empty_master_password_is_refused_for_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = file_in(dir.path()).unlock("").unwrap_err();
    assert!(matches!(err, SitesError::EmptyMasterPassword), "{err:?}");
    assert!(!dir.path().join(PASSWORD_FILE).exists());
}

#[test]
fn the_file_is_used_only_where_no_keyring_answers() {
    let dir = tempfile::tempdir().unwrap();
    let with_keyring =
        KeyringOrFile::with_keyring(Box::new(MemorySecrets::new()), file_in(dir.path()));
    assert_eq!(with_keyring.status(), KeyringStatus::Available);
    assert!(with_keyring.password_file().is_none());
    with_keyring.set("a", "kept in the keyring").unwrap();
    assert!(!dir.path().join(PASSWORD_FILE).exists());

    let without =
        KeyringOrFile::with_keyring(Box::new(MemorySecrets::unavailable()), file_in(dir.path()));
    let status = without.status();
    assert!(
        matches!(status, KeyringStatus::PasswordFile { .. }),
        "{status:?}"
    );
    assert!(status.is_available(), "passwords can be remembered");
    assert!(status.to_string().contains("encrypted file"), "{status}");
    assert!(matches!(
        without.get("a"),
        Err(SitesError::PasswordFileLocked)
    ));
    without.password_file().unwrap().unlock("m").unwrap();
    without.set("a", "in the file").unwrap();
    assert_eq!(without.get("a").unwrap().as_deref(), Some("in the file"));
    assert!(dir.path().join(PASSWORD_FILE).exists());
}

/// The window over `config`, on a machine with no keyring: the file is the store.
fn app(local: &Path, config: &Path) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let dir = config.to_path_buf();
    let secrets =
        KeyringOrFile::with_keyring(Box::new(MemorySecrets::unavailable()), file_in(config));
    let mut h = Harness::builder()
        .with_size([1280.0, 860.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                State::default(),
                AppConfig {
                    local_start: Some(local),
                    sites: Some(SitesConfig {
                        dir,
                        secrets: Arc::new(secrets) as Arc<dyn SecretStore>,
                    }),
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    h.step();
    wait_until(&mut h, "the saved sites read", |a| !a.sites_loading());
    wait_until(&mut h, "the keyring's status", |a| {
        a.keyring_status.is_some()
    });
    h
}

/// Step frames until a widget whose label contains `label` shows (the
/// keyring thread answers on its own time), failing after 15 s.
fn wait_for_label(h: &mut Harness<'_, FerryApp>, label: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while h.query_by_label_contains(label).is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {label:?}"
        );
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn unlock_with(h: &mut Harness<'_, FerryApp>, master: &str) {
    let field = h.get_by_label("Master password:");
    field.focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label("Master password:").type_text(master);
    h.step();
    h.get_by_label("Unlock").click();
    h.run_steps(2);
}

#[test]
fn without_a_keyring_the_window_asks_the_master_password_once_and_connects() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions {
        tls: false,
        active: true,
    }));
    std::fs::write(server.path("hello.txt"), b"hello").unwrap();
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut site = Site::new("Filed", "127.0.0.1");
    site.port = Some(server.addr.port());
    site.user = USER.into();
    site.mode = ConnectionMode::Passive;
    site.remember_password = true;
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    // Remembered in an earlier run.
    let earlier = file_in(config.path());
    earlier.unlock("correct horse").unwrap();
    earlier.set(&site.id, PASSWORD).unwrap();
    let file_before = std::fs::read(config.path().join(PASSWORD_FILE)).unwrap();

    let mut h = app(local.path(), config.path());
    let status = h.state().keyring_status.clone();
    assert!(
        matches!(status, Some(KeyringStatus::PasswordFile { .. })),
        "{status:?}"
    );

    h.state_mut().connect_site(site.clone(), None);
    wait_for_label(&mut h, "Enter the master password of Ferry");
    unlock_with(&mut h, "wrong horse");
    wait_for_label(&mut h, "does not open the password file");
    assert_eq!(
        std::fs::read(config.path().join(PASSWORD_FILE)).unwrap(),
        file_before,
        "a wrong master password changes nothing"
    );
    unlock_with(&mut h, "correct horse");
    wait_until(&mut h, "the listing", |a| {
        remote_names(a).contains(&"hello.txt".to_string())
    });
    assert!(h.query_by_label("Enter the password").is_none());

    // Once per run: the next connect reads the file without asking.
    h.state_mut().connect_site(site, None);
    wait_until(&mut h, "the remembered password read", |a| {
        !a.notice
            .as_deref()
            .is_some_and(|n| n.starts_with("Reading the password"))
    });
    h.run_steps(2);
    assert!(h.query_by_label("Master password:").is_none());
    assert!(h.query_by_label("Enter the password").is_none());
}
