//! `ferry sites list|import|export`: the saved sites from the command line,
//! the same file and keyring the window uses.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{CliError, exit};
use crate::sites::{
    KeyringStatus, LogonType, OsKeyring, PASSWORD_FILE, PasswordFile, SecretStore, Site, SiteStore,
    SitesError, export, import_filezilla,
};

#[derive(Subcommand, Debug)]
pub(super) enum SitesAction {
    /// List the saved sites.
    List,
    /// Import FileZilla's sitemanager.xml: folders, hosts, users, modes;
    /// saved passwords go into the OS keyring, never into Ferry's files.
    Import { file: PathBuf },
    /// Write the saved sites to a TOML file, without passwords.
    Export { file: PathBuf },
}

impl From<SitesError> for CliError {
    fn from(e: SitesError) -> CliError {
        CliError {
            code: exit::TRANSFER,
            message: e.to_string(),
        }
    }
}

pub(super) fn run(action: SitesAction) -> Result<(), CliError> {
    let store = SiteStore::open_default()?;
    let mut loaded = store.load()?;
    for w in &loaded.warnings {
        eprintln!("ferry: warning: {w}");
    }
    if let Some(aside) = &loaded.kept_aside {
        eprintln!(
            "ferry: the original sites file was kept as {}",
            aside.display()
        );
    }
    let keyring = OsKeyring::new();
    if !loaded.plaintext_passwords.is_empty() {
        for w in loaded.move_plaintext_passwords(&keyring) {
            eprintln!("ferry: warning: {w}");
        }
        store.save(&loaded.sites)?;
    }
    match action {
        SitesAction::List => {
            let mut out = String::new();
            for site in &loaded.sites.sites {
                out.push_str(&describe(site));
                out.push('\n');
            }
            print!("{out}");
        }
        SitesAction::Import { file } => {
            if let KeyringStatus::Unavailable { .. } = keyring.status() {
                eprintln!("ferry: {}", keyring.status());
            }
            let report = import_filezilla(&file, &mut loaded.sites, &keyring)?;
            store.save(&loaded.sites)?;
            println!(
                "Imported {} into {}",
                super::progress::count(report.imported.len() as u64, "site", "sites"),
                store.path().display()
            );
            for name in &report.imported {
                println!("  {name}");
            }
            for (name, why) in &report.skipped {
                println!("Skipped {name}: {why}");
            }
            for (name, note) in &report.notes {
                println!("Note for {name}: {note}");
            }
        }
        SitesAction::Export { file } => {
            refuse_overwrite(&file)?;
            export(&loaded.sites.sites, &file)?;
            println!(
                "Exported {} to {} (without passwords)",
                super::progress::count(loaded.sites.sites.len() as u64, "site", "sites"),
                file.display()
            );
        }
    }
    Ok(())
}

/// `Folder/Name  ftp://user@host:port  passive` — one line per site.
fn describe(site: &Site) -> String {
    let mut path = site.folder.join("/");
    if !path.is_empty() {
        path.push('/');
    }
    path.push_str(&site.name);
    let scheme = match site.protocol {
        crate::sites::Protocol::ImplicitTls => "ftps",
        _ => "ftp",
    };
    let user = match site.logon {
        LogonType::Anonymous => String::new(),
        _ => format!("{}@", site.user),
    };
    let tls = match site.protocol {
        crate::sites::Protocol::ExplicitTls => " (explicit TLS)",
        _ => "",
    };
    let mode = match site.mode {
        crate::sites::ConnectionMode::Passive => "passive",
        crate::sites::ConnectionMode::Active => "active",
        crate::sites::ConnectionMode::Auto => "auto",
    };
    format!("{path}\t{scheme}://{user}{}{tls}\t{mode}", site.host_port())
}

fn refuse_overwrite(file: &Path) -> Result<(), CliError> {
    if file.exists() {
        return Err(CliError::usage(format!(
            "will not overwrite an existing file; choose another name: {}",
            file.display()
        )));
    }
    Ok(())
}

/// The environment variable holding the password file's master password,
/// for scripts on machines without a keyring.
pub(super) const MASTER_PASSWORD_ENV: &str = "FERRY_MASTER_PASSWORD";

/// The password saved for `site`: from the OS keyring where one answers,
/// else from the encrypted password file (the window's store on machines
/// without a keyring), unlocked with `FERRY_MASTER_PASSWORD` or the master
/// password asked for on the terminal. `None` when nothing is saved (the
/// caller then asks for the site's password itself).
pub(super) fn saved_password(site: &Site) -> Result<Option<String>, CliError> {
    // A password given for this run wins; nothing to unlock.
    let given = std::env::var_os("FERRY_PASSWORD").is_some();
    if given || !site.remember_password || site.logon != LogonType::Normal {
        return Ok(None);
    }
    let keyring = OsKeyring::new();
    if keyring.status().is_available() {
        return Ok(keyring.get(&site.id).ok().flatten());
    }
    let Ok(dir) = crate::sites::default_config_dir() else {
        return Ok(None);
    };
    let file = PasswordFile::new(dir.join(PASSWORD_FILE));
    if !file.exists() {
        return Ok(None);
    }
    let master = match std::env::var(MASTER_PASSWORD_ENV) {
        Ok(m) => m,
        Err(_) if std::io::stdin().is_terminal() => rpassword::prompt_password(format!(
            "Master password for Ferry's password file ({}): ",
            file.path().display()
        ))
        .map_err(|e| CliError::usage(format!("could not read the master password: {e}")))?,
        // Not asked, so the site's own password is asked for (or missing).
        Err(_) => {
            eprintln!(
                "ferry: no keyring here and the password file is locked: set {MASTER_PASSWORD_ENV} to use the password saved for {}",
                site.name
            );
            return Ok(None);
        }
    };
    file.unlock(&master).map_err(|e| CliError {
        code: exit::CONNECTION,
        message: e.to_string(),
    })?;
    let password = file.get(&site.id).map_err(|e| CliError {
        code: exit::CONNECTION,
        message: e.to_string(),
    })?;
    file.lock();
    Ok(password)
}
