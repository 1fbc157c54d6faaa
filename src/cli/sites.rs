//! `ferry sites list|import|export`: the saved sites from the command line,
//! the same file and keyring the window uses.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{CliError, exit};
use crate::sites::{
    KeyringStatus, LogonType, OsKeyring, SecretStore, Site, SiteStore, SitesError, export,
    import_filezilla,
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
