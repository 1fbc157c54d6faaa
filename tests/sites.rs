//! Saved sites end to end on a temporary config folder with the in-memory
//! secret store: the profile file, lenient loading, migration, FileZilla
//! import, the trust file, and that no password ever lands in a file.

use std::fs;
use std::path::{Path, PathBuf};

use ferry::sites::{
    Charset, ConnectionMode, KeyringStatus, LogonType, MemorySecrets, OsKeyring, PortRange,
    Protocol, SecretStore, Site, SiteList, SiteStore, TransferMode, TrustCheck, TrustStore, export,
    import_filezilla,
};

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(path);
                }
            }
        }
    }
    found
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn kept_copy(dir: &Path, prefix: &str) -> PathBuf {
    let names: Vec<String> = file_names(dir)
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect();
    assert_eq!(names.len(), 1, "one {prefix}* copy expected: {names:?}");
    dir.join(&names[0])
}

fn full_site() -> Site {
    let mut s = Site::new("Production", "ftp.example.org");
    s.folder = vec!["Work".into(), "Clients".into()];
    s.protocol = Protocol::ExplicitTls;
    s.port = Some(2121);
    s.logon = LogonType::Normal;
    s.user = "alice".into();
    s.account = Some("acct-7".into());
    s.remember_password = true;
    s.mode = ConnectionMode::Auto;
    s.last_working_mode = Some(ConnectionMode::Active);
    s.transfer_mode = TransferMode::Deflate;
    s.local_folder = Some(PathBuf::from("/home/alice/site"));
    s.remote_folder = Some("/var/www".into());
    s.timeout_secs = Some(20);
    s.external_ip = Some("203.0.113.9".parse().unwrap());
    s.active_port_range = Some(PortRange {
        first: 50000,
        last: 50100,
    });
    s.trust_pasv_host = true;
    s.charset = Charset::Other("ISO-8859-1".into());
    s.show_hidden = true;
    s.comment = "deploys \"here\"\nsecond line".into();
    s
}

#[test]
fn profiles_round_trip_through_the_sites_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = SiteStore::at(dir.path());
    let mut anon = Site::new("Mirror", "mirror.example.net");
    anon.logon = LogonType::Anonymous;
    let list = SiteList {
        sites: vec![full_site(), anon],
        folders: vec![vec!["Work".into()], vec!["Empty folder".into()]],
        extra: toml::Table::new(),
    };

    store.save(&list).unwrap();
    let loaded = store.load().unwrap();

    assert_eq!(loaded.sites, list);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.kept_aside, None);
    let text = fs::read_to_string(store.path()).unwrap();
    assert!(text.contains("schema_version = 1"), "{text}");
    assert!(text.contains("mode = \"auto\""), "{text}");
    assert_eq!(file_names(dir.path()), ["sites.toml"]);
}

#[test]
fn fields_from_a_newer_version_survive_load_and_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = SiteStore::at(dir.path());
    fs::write(
        store.path(),
        r#"schema_version = 1
future_top = 3

[[sites]]
id = "site-1"
name = "Future"
host = "h.example"
future_field = "kept"

[sites.future_table]
depth = 2
"#,
    )
    .unwrap();

    let first = store.load().unwrap();
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    assert_eq!(
        first.sites.sites[0].extra["future_field"].as_str(),
        Some("kept")
    );
    store.save(&first.sites).unwrap();
    let second = store.load().unwrap();

    assert_eq!(second.sites, first.sites);
    assert_eq!(second.sites.extra["future_top"].as_integer(), Some(3));
    let site = &second.sites.sites[0];
    assert_eq!(site.extra["future_table"]["depth"].as_integer(), Some(2));
    let text = fs::read_to_string(store.path()).unwrap();
    assert!(text.contains("future_field = \"kept\""), "{text}");
}

#[test]
fn a_corrupt_entry_is_skipped_by_name_the_rest_loads_and_the_original_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = SiteStore::at(dir.path());
    let original = r#"schema_version = 1

[[sites]]
name = "First"
host = "one.example"

[[sites]]
name = "Broken by hand"
host = "two.example"
mode = "sideways"

[[sites]]
name = "Third"
host = "three.example"
port = 99999
"#;
    fs::write(store.path(), original).unwrap();

    let loaded = store.load().unwrap();

    let names: Vec<&str> = loaded.sites.sites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["First"]);
    let skipped: Vec<&str> = loaded
        .warnings
        .iter()
        .filter(|w| w.problem.starts_with("skipped"))
        .map(|w| w.what.as_str())
        .collect();
    assert_eq!(
        skipped,
        ["site 2 (\"Broken by hand\")", "site 3 (\"Third\")"]
    );
    assert!(
        loaded.warnings[0].problem.contains("sideways"),
        "the reason names the bad value: {}",
        loaded.warnings[0]
    );
    let copy = loaded.kept_aside.clone().unwrap();
    assert_eq!(copy, kept_copy(dir.path(), "sites.toml.broken-"));
    assert_eq!(fs::read_to_string(&copy).unwrap(), original);

    // Saving what loaded replaces sites.toml but never the copy.
    store.save(&loaded.sites).unwrap();
    assert_eq!(fs::read_to_string(&copy).unwrap(), original);
    assert_eq!(store.load().unwrap().sites.sites.len(), 1);
}

#[test]
fn an_unparsable_file_loads_nothing_and_is_kept_aside_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let store = SiteStore::at(dir.path());
    let original: &[u8] = b"schema_version = 1\n[[sites]\nname = \"unterminated\n\xff\xfe";
    fs::write(store.path(), original).unwrap();

    let loaded = store.load().unwrap();

    assert!(loaded.sites.sites.is_empty());
    assert_eq!(loaded.warnings[0].what, "the whole file");
    let copy = kept_copy(dir.path(), "sites.toml.broken-");
    assert_eq!(fs::read(&copy).unwrap(), original);
    // The file itself is untouched until the user saves.
    assert_eq!(fs::read(store.path()).unwrap(), original);
}

#[test]
fn a_version_0_file_is_migrated_and_its_original_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = SiteStore::at(dir.path());
    let v0 = r#"[[site]]
name = "Old passive"
host = "a.example"
user = "bob"
passive = true
tls = true
local_dir = "/home/bob"
remote_dir = "/pub"

[[site]]
name = "Old active"
host = "b.example"
port = 2121
passive = false
"#;
    fs::write(store.path(), v0).unwrap();

    let loaded = store.load().unwrap();

    let [a, b] = loaded.sites.sites.as_slice() else {
        panic!("two sites expected: {:?}", loaded.sites.sites);
    };
    assert_eq!(
        (a.mode, a.protocol),
        (ConnectionMode::Passive, Protocol::ExplicitTls)
    );
    assert_eq!(a.local_folder, Some(PathBuf::from("/home/bob")));
    assert_eq!(a.remote_folder.as_deref(), Some("/pub"));
    assert_eq!(a.user, "bob");
    assert!(a.folder.is_empty() && a.extra.is_empty());
    assert_eq!(
        (b.mode, b.protocol, b.port),
        (ConnectionMode::Active, Protocol::Ftp, Some(2121))
    );
    assert_ne!(a.id, b.id);
    assert_eq!(
        fs::read_to_string(kept_copy(dir.path(), "sites.toml.v0-")).unwrap(),
        v0
    );

    store.save(&loaded.sites).unwrap();
    let text = fs::read_to_string(store.path()).unwrap();
    assert!(
        text.contains("schema_version = 1") && !text.contains("passive = "),
        "{text}"
    );
    let again = store.load().unwrap();
    assert_eq!(again.sites, loaded.sites);
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
}

const SITEMANAGER: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<FileZilla3 version="3.66.4" platform="*nix">
    <Servers>
        <Server>
            <Host>mirror.example.net</Host>
            <Port>21</Port>
            <Protocol>0</Protocol>
            <Type>0</Type>
            <Logontype>0</Logontype>
            <PasvMode>MODE_DEFAULT</PasvMode>
            <Name>Public mirror</Name>
            <Comments />
            <LocalDir />
            <RemoteDir>1 0 3 pub 5 linux</RemoteDir>
            <SyncBrowsing>0</SyncBrowsing>
            <DirectoryComparison>0</DirectoryComparison>
        </Server>
        <Folder expanded="1">Work
            <Server>
                <Host>ftp.work.example</Host>
                <Port>990</Port>
                <Protocol>3</Protocol>
                <Logontype>1</Logontype>
                <User>alice</User>
                <Pass encoding="base64">aHVudGVyMiBpcyBteSBwYXNzd29yZA==</Pass>
                <PasvMode>MODE_ACTIVE</PasvMode>
                <EncodingType>UTF-8</EncodingType>
                <Name>Intranet</Name>
                <Comments>the build box</Comments>
                <LocalDir>/home/alice/work</LocalDir>
                <RemoteDir>1 0 4 home 5 alice 8 my files</RemoteDir>
                <SyncBrowsing>1</SyncBrowsing>
                <DirectoryComparison>0</DirectoryComparison>
            </Server>
            <Folder expanded="0">Clients
                <Server>
                    <Host>sftp.client.example</Host>
                    <Port>22</Port>
                    <Protocol>1</Protocol>
                    <Logontype>1</Logontype>
                    <User>deploy</User>
                    <Pass encoding="base64">c2Z0cC1zZWNyZXQ=</Pass>
                    <Name>Client SFTP</Name>
                </Server>
                <Server>
                    <Host>ftps.client.example</Host>
                    <Port>21</Port>
                    <Protocol>4</Protocol>
                    <Logontype>3</Logontype>
                    <User>carol</User>
                    <PasvMode>MODE_PASSIVE</PasvMode>
                    <Name>Client FTPS</Name>
                </Server>
            </Folder>
        </Folder>
    </Servers>
</FileZilla3>
"#;

#[test]
fn filezilla_sites_import_with_folders_and_the_password_goes_to_the_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("sitemanager.xml");
    fs::write(&xml, SITEMANAGER).unwrap();
    let config = dir.path().join("config");
    let store = SiteStore::at(&config);
    let secrets = MemorySecrets::new();
    let mut list = store.load().unwrap().sites;

    let report = import_filezilla(&xml, &mut list, &secrets).unwrap();

    assert_eq!(
        report.imported,
        ["Public mirror", "Work/Intranet", "Work/Clients/Client FTPS"]
    );
    assert_eq!(
        report.skipped,
        [(
            "Work/Clients/Client SFTP".to_string(),
            "SFTP is not supported".to_string()
        )]
    );
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(
        list.folders,
        [
            vec!["Work".to_string()],
            vec!["Work".into(), "Clients".into()]
        ]
    );

    let [mirror, intranet, ftps] = list.sites.as_slice() else {
        panic!("three sites expected: {:?}", list.sites);
    };
    assert_eq!(mirror.logon, LogonType::Anonymous);
    // FileZilla's protocol 0 is its default, "explicit TLS if available".
    assert_eq!(mirror.protocol, Protocol::ExplicitTlsIfAvailable);
    assert_eq!(mirror.mode, ConnectionMode::Auto);
    assert_eq!(mirror.remote_folder.as_deref(), Some("/pub/linux"));
    assert!(mirror.folder.is_empty());
    assert!(!mirror.sync_browsing, "<SyncBrowsing>0</SyncBrowsing>");

    assert_eq!(intranet.folder, ["Work"]);
    assert_eq!(
        (intranet.protocol, intranet.port),
        (Protocol::ImplicitTls, Some(990))
    );
    assert_eq!(
        (intranet.logon, intranet.user.as_str()),
        (LogonType::Normal, "alice")
    );
    assert_eq!(intranet.mode, ConnectionMode::Active);
    assert_eq!(intranet.charset, Charset::Utf8);
    assert_eq!(
        intranet.remote_folder.as_deref(),
        Some("/home/alice/my files")
    );
    assert_eq!(
        intranet.local_folder,
        Some(PathBuf::from("/home/alice/work"))
    );
    assert_eq!(intranet.comment, "the build box");
    assert!(intranet.sync_browsing, "<SyncBrowsing>1</SyncBrowsing>");
    assert!(intranet.remember_password);
    assert_eq!(
        secrets.get(&intranet.id).unwrap().as_deref(),
        Some("hunter2 is my password")
    );

    assert_eq!(ftps.folder, ["Work", "Clients"]);
    assert_eq!(
        (ftps.protocol, ftps.logon),
        (Protocol::ExplicitTls, LogonType::Ask)
    );
    assert_eq!(ftps.mode, ConnectionMode::Passive);
    assert!(
        !ftps.sync_browsing,
        "no <SyncBrowsing>: off, as in FileZilla"
    );
    assert!(!ftps.remember_password);
    assert_eq!(secrets.get(&ftps.id).unwrap(), None);

    store.save(&list).unwrap();
    export(&list.sites, &config.join("exported.toml")).unwrap();
    assert_eq!(store.load().unwrap().sites, list);
    for needle in ["hunter2", "aHVudGVyMiBpcyBteSBwYXNzd29yZA==", "sftp-secret"] {
        assert_eq!(
            files_containing(&config, needle),
            Vec::<PathBuf>::new(),
            "{needle}"
        );
    }
}

#[test]
fn without_a_keyring_imported_passwords_are_dropped_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemorySecrets::unavailable();
    let mut list = SiteList::default();
    let xml = dir.path().join("sitemanager.xml");
    fs::write(&xml, SITEMANAGER).unwrap();

    let report = import_filezilla(&xml, &mut list, &secrets).unwrap();

    assert_eq!(report.imported.len(), 3);
    let [(site, note)] = report.notes.as_slice() else {
        panic!("one note expected: {:?}", report.notes);
    };
    assert_eq!(site, "Work/Intranet");
    assert!(note.contains("Ferry will ask for the password"), "{note}");
    assert!(list.sites.iter().all(|s| !s.remember_password));
    let store = SiteStore::at(dir.path().join("config"));
    store.save(&list).unwrap();
    assert!(files_containing(store.dir(), "hunter2").is_empty());
}

#[test]
fn a_file_that_is_not_a_filezilla_site_list_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("other.xml");
    fs::write(&xml, "<html><body/></html>").unwrap();
    let err = import_filezilla(&xml, &mut SiteList::default(), &MemorySecrets::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("<Servers>"), "{err}");
    assert!(
        err.ends_with(&xml.display().to_string()),
        "path last: {err}"
    );
}

#[test]
fn remembered_passwords_never_reach_any_file_in_the_config_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = SiteStore::at(dir.path());
    let secrets = MemorySecrets::new();
    let mut list = SiteList::default();
    for (i, password) in ["pa55-one", "pa55-two"].iter().enumerate() {
        let mut site = Site::new(format!("site {i}"), "h.example");
        site.user = "u".into();
        site.remember_password = true;
        secrets.set(&site.id, password).unwrap();
        list.sites.push(site);
    }
    store.save(&list).unwrap();
    let (mut trust, _) = TrustStore::load(store.dir()).unwrap();
    trust.trust("h.example:21", &[7; 32]).unwrap();
    export(&list.sites, &store.dir().join("export.toml")).unwrap();
    let loaded = store.load().unwrap();
    store.save(&loaded.sites).unwrap();

    for password in ["pa55-one", "pa55-two"] {
        assert_eq!(
            files_containing(store.dir(), password),
            Vec::<PathBuf>::new()
        );
    }
    let first = &loaded.sites.sites[0];
    assert_eq!(secrets.get(&first.id).unwrap().as_deref(), Some("pa55-one"));
}

#[test]
fn a_changed_certificate_for_a_trusted_server_is_reported_with_both_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let (mut trust, warnings) = TrustStore::load(dir.path()).unwrap();
    assert!(warnings.is_empty());
    trust.trust("ftp.example.org:990", &[0xaa; 32]).unwrap();

    let (reloaded, warnings) = TrustStore::load(dir.path()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        reloaded.check("ftp.example.org:990", &[0xaa; 32]),
        TrustCheck::Trusted
    );
    assert_eq!(
        reloaded.check("ftp.example.org:21", &[0xaa; 32]),
        TrustCheck::Unknown
    );
    assert_eq!(
        reloaded.check("ftp.example.org:990", &[0xbb; 32]),
        TrustCheck::Changed {
            old: "aa".repeat(32),
            new: "bb".repeat(32),
        }
    );
    assert_eq!(
        reloaded.policy_for("ftp.example.org:990"),
        ferry::ftp::TrustPolicy::Pinned(vec![[0xaa; 32]])
    );
    assert_eq!(file_names(dir.path()), ["trusted_certs.toml"]);
}

#[test]
fn trusting_a_new_certificate_replaces_the_old_one_and_forget_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut trust, _) = TrustStore::load(dir.path()).unwrap();
    trust.trust("h:21", &[1; 32]).unwrap();
    trust.trust("h:21", &[2; 32]).unwrap();
    assert_eq!(
        TrustStore::load(dir.path())
            .unwrap()
            .0
            .check("h:21", &[2; 32]),
        TrustCheck::Trusted
    );
    trust.forget("h:21").unwrap();
    assert_eq!(
        TrustStore::load(dir.path())
            .unwrap()
            .0
            .check("h:21", &[2; 32]),
        TrustCheck::Unknown
    );
}

/// With no D-Bus session bus to reach, the OS keyring says so instead of
/// failing later or writing a file. The check runs in a child process whose
/// session bus address names a socket that does not exist, so it tests the
/// same thing on machines with and without a bus, and leaves the
/// environment of the other tests alone.
#[cfg(target_os = "linux")]
#[test]
fn without_a_session_bus_the_os_keyring_reports_no_keyring_service() {
    const NAME: &str = "without_a_session_bus_the_os_keyring_reports_no_keyring_service";
    const CHILD: &str = "FERRY_TEST_NO_SESSION_BUS_DONE";
    let Some(done) = std::env::var_os(CHILD) else {
        let runtime = tempfile::tempdir().unwrap();
        let done = runtime.path().join("checked");
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--test-threads=1"])
            .env(CHILD, &done)
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", runtime.path().join("no-bus").display()),
            )
            .env("XDG_RUNTIME_DIR", runtime.path())
            .status()
            .unwrap();
        assert!(status.success(), "the check without a session bus failed");
        assert!(done.exists(), "the check without a session bus ran");
        return;
    };
    let keyring = OsKeyring::new();
    let status = keyring.status();
    assert!(
        matches!(status, KeyringStatus::Unavailable { .. }),
        "{status:?}"
    );
    assert!(
        status
            .to_string()
            .contains("Ferry will ask for the password"),
        "{status}"
    );
    let err = keyring.set("some-site", "pw").unwrap_err().to_string();
    assert!(err.starts_with("no keyring service"), "{err}");
    fs::write(done, "").unwrap();
}

#[test]
fn a_hand_written_password_is_moved_to_the_keyring_and_out_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = SiteStore::at(dir.path());
    fs::write(
        store.path(),
        "schema_version = 1\n[[sites]]\nid = \"s1\"\nname = \"Typed\"\nhost = \"h\"\nuser = \"u\"\npassword = \"typed-in-clear\"\n",
    )
    .unwrap();
    let secrets = MemorySecrets::new();

    let mut loaded = store.load().unwrap();
    assert!(loaded.sites.sites[0].extra.is_empty());
    assert!(
        loaded.warnings[0].problem.contains("plain-text `password`"),
        "{:?}",
        loaded.warnings
    );
    assert!(loaded.move_plaintext_passwords(&secrets).is_empty());
    store.save(&loaded.sites).unwrap();

    assert_eq!(
        secrets.get("s1").unwrap().as_deref(),
        Some("typed-in-clear")
    );
    assert!(store.load().unwrap().sites.sites[0].remember_password);
    assert!(files_containing(store.dir(), "typed-in-clear").is_empty());
}

#[test]
fn the_mode_auto_found_is_saved_into_the_site_but_never_over_a_partly_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = SiteStore::at(dir.path());
    let site = Site::new("Box", "box.example");
    let id = site.id.clone();
    let mut list = SiteList::default();
    list.sites.push(site);
    store.save(&list).unwrap();

    assert!(
        store
            .remember_working_mode(&id, ConnectionMode::Active)
            .unwrap()
    );
    let loaded = store.load().unwrap();
    assert_eq!(
        loaded.sites.get(&id).unwrap().last_working_mode,
        Some(ConnectionMode::Active)
    );
    assert_eq!(
        loaded.sites.get(&id).unwrap().connect_options("").mode,
        ferry::ftp::DataMode::Active,
        "an Auto site starts in the mode that worked"
    );
    assert!(
        !store
            .remember_working_mode(&id, ConnectionMode::Active)
            .unwrap(),
        "unchanged, not rewritten"
    );
    assert!(
        !store
            .remember_working_mode("no-such-id", ConnectionMode::Passive)
            .unwrap()
    );

    // A file with an entry that cannot be read is left exactly as it is.
    let mut text = fs::read_to_string(store.path()).unwrap();
    text.push_str("\n[[sites]]\nname = \"Broken\"\nhost = \"x\"\nmode = \"sideways\"\n");
    fs::write(store.path(), &text).unwrap();
    assert!(
        !store
            .remember_working_mode(&id, ConnectionMode::Passive)
            .unwrap()
    );
    assert_eq!(fs::read_to_string(store.path()).unwrap(), text);
}
