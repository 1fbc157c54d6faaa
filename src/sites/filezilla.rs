//! Import of FileZilla's `sitemanager.xml`: folders, servers and their
//! settings (synchronized browsing included) become sites; saved passwords (base64 in FileZilla's file) go
//! into the keyring, never into Ferry's file.

use std::fs;
use std::path::Path;

use base64::Engine as _;

use super::error::{Result, SitesError};
use super::profile::{Charset, ConnectionMode, LogonType, Protocol, Site};
use super::secrets::SecretStore;
use super::store::SiteList;

/// What an import did, site by site, to show the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Imported sites, as `Folder/Sub/Name`.
    pub imported: Vec<String>,
    /// Sites not imported, with why (`SFTP is not supported`, …).
    pub skipped: Vec<(String, String)>,
    /// Imported sites with something the user should know (a password that
    /// could not be moved into the keyring, …).
    pub notes: Vec<(String, String)>,
}

/// Read FileZilla's `sitemanager.xml` at `path` and append its sites to
/// `sites` (folders kept). Saved passwords go into `secrets`; where that
/// fails the site is still imported and will ask for its password. The
/// caller saves `sites` afterwards.
pub fn import_filezilla(
    path: &Path,
    sites: &mut SiteList,
    secrets: &dyn SecretStore,
) -> Result<ImportReport> {
    let xml = fs::read_to_string(path).map_err(|source| SitesError::Read {
        what: "the FileZilla site list",
        path: path.to_path_buf(),
        source,
    })?;
    import_filezilla_xml(&xml, sites, secrets).map_err(|reason| SitesError::Import {
        reason,
        path: path.to_path_buf(),
    })
}

/// [`import_filezilla`] from the file's text. The error is the reason the
/// document as a whole could not be read.
pub fn import_filezilla_xml(
    xml: &str,
    sites: &mut SiteList,
    secrets: &dyn SecretStore,
) -> Result<ImportReport, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("not valid XML ({e})"))?;
    let root = doc.root_element();
    let servers = root
        .children()
        .find(|n| n.has_tag_name("Servers"))
        .ok_or_else(|| {
            format!(
                "no <Servers> element under <{}>; this is not a FileZilla site manager file",
                root.tag_name().name()
            )
        })?;
    let mut report = ImportReport::default();
    walk(servers, &mut Vec::new(), sites, secrets, &mut report);
    Ok(report)
}

fn walk(
    node: roxmltree::Node,
    folder: &mut Vec<String>,
    sites: &mut SiteList,
    secrets: &dyn SecretStore,
    report: &mut ImportReport,
) {
    for child in node.children().filter(roxmltree::Node::is_element) {
        match child.tag_name().name() {
            "Folder" => {
                let name = child.text().unwrap_or_default().trim().to_string();
                folder.push(if name.is_empty() {
                    "Unnamed".into()
                } else {
                    name
                });
                if !sites.folders.contains(folder) {
                    sites.folders.push(folder.clone());
                }
                walk(child, folder, sites, secrets, report);
                folder.pop();
            }
            "Server" => import_server(child, folder, sites, secrets, report),
            _ => {}
        }
    }
}

/// The text of the child element `tag`, trimmed; `None` when absent or empty.
fn field<'a>(server: roxmltree::Node<'a, '_>, tag: &str) -> Option<&'a str> {
    server
        .children()
        .find(|n| n.has_tag_name(tag))
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn import_server(
    server: roxmltree::Node,
    folder: &[String],
    sites: &mut SiteList,
    secrets: &dyn SecretStore,
    report: &mut ImportReport,
) {
    let host = field(server, "Host").unwrap_or_default();
    let name = field(server, "Name").unwrap_or(host);
    let label = {
        let mut parts = folder.to_vec();
        parts.push(if name.is_empty() { "(unnamed)" } else { name }.to_string());
        parts.join("/")
    };
    let mut skip = |reason: &str| report.skipped.push((label.clone(), reason.to_string()));
    if host.is_empty() {
        return skip("it has no host");
    }
    // FileZilla's protocol numbers: 0 FTP (TLS if available), 1 SFTP,
    // 3 implicit FTPS, 4 explicit FTPS, 6 plain FTP; others are not FTP.
    let protocol = match field(server, "Protocol").unwrap_or("0") {
        "0" => Protocol::ExplicitTlsIfAvailable,
        "6" => Protocol::Ftp,
        "3" => Protocol::ImplicitTls,
        "4" => Protocol::ExplicitTls,
        "1" => return skip("SFTP is not supported"),
        other => return skip(&format!("protocol {other} is not FTP")),
    };
    let port = match field(server, "Port").map(str::parse::<u16>) {
        None => None,
        Some(Ok(p)) if p != 0 => Some(p),
        Some(_) => return skip("its port is not a number from 1 to 65535"),
    };

    let mut site = Site::new(name, host);
    site.folder = folder.to_vec();
    site.protocol = protocol;
    site.port = port;
    site.user = field(server, "User").unwrap_or_default().to_string();
    let mut note = |text: String| report.notes.push((label.clone(), text));
    site.logon = match field(server, "Logontype").unwrap_or("1") {
        "0" => LogonType::Anonymous,
        "1" => LogonType::Normal,
        "2" | "3" => LogonType::Ask,
        "4" => {
            site.account = field(server, "Account").map(str::to_string);
            LogonType::Normal
        }
        other => {
            note(format!(
                "logon type {other} has no FTP equivalent; the password will be asked for"
            ));
            LogonType::Ask
        }
    };
    site.mode = match field(server, "PasvMode") {
        Some("MODE_ACTIVE") => ConnectionMode::Active,
        Some("MODE_PASSIVE") => ConnectionMode::Passive,
        _ => ConnectionMode::Auto,
    };
    site.charset = match field(server, "EncodingType") {
        Some("UTF-8") => Charset::Utf8,
        Some("Custom") => match field(server, "CustomEncoding") {
            Some(name) => Charset::Other(name.to_string()),
            None => Charset::Auto,
        },
        _ => Charset::Auto,
    };
    site.local_folder = field(server, "LocalDir").map(Into::into);
    site.remote_folder = field(server, "RemoteDir").and_then(decode_remote_dir);
    site.comment = field(server, "Comments").unwrap_or_default().to_string();
    // FileZilla's "Use synchronized browsing" (Advanced tab): 1 on, 0 off.
    site.sync_browsing = field(server, "SyncBrowsing") == Some("1");

    if site.logon == LogonType::Normal {
        match password(server) {
            Ok(None) => {}
            Ok(Some(pw)) => match secrets.set(&site.id, &pw) {
                Ok(()) => site.remember_password = true,
                Err(e) => note(format!("password not imported: {e}")),
            },
            Err(why) => note(format!("password not imported: {why}")),
        }
    }
    sites.sites.push(site);
    report.imported.push(label);
}

/// The saved password: base64 (FileZilla 3.26+), plain (older versions) or
/// encrypted with a FileZilla master password, which Ferry cannot read.
fn password(server: roxmltree::Node) -> Result<Option<String>, String> {
    let Some(node) = server.children().find(|n| n.has_tag_name("Pass")) else {
        return Ok(None);
    };
    let text = node.text().unwrap_or_default().trim();
    if text.is_empty() {
        return Ok(None);
    }
    match node.attribute("encoding") {
        None | Some("plain") => Ok(Some(text.to_string())),
        Some("base64") => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| format!("its base64 is damaged ({e})"))?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| "it is not UTF-8 text".to_string())
        }
        Some("crypt") => Err("it is encrypted with a FileZilla master password".into()),
        Some(other) => Err(format!("unknown encoding {other:?}")),
    }
}

/// FileZilla writes a remote folder as `TYPE PREFIXLEN [PREFIX] LEN SEG LEN SEG…`,
/// e.g. `1 0 4 home 5 alice` for `/home/alice`; lengths let segments hold
/// spaces. `None` when it does not follow that shape.
fn decode_remote_dir(text: &str) -> Option<String> {
    let mut rest = text;
    let mut number = || -> Option<usize> {
        let (n, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        rest = tail;
        n.parse().ok()
    };
    let _server_type = number()?;
    let prefix_len = number()?;
    let take = |len: usize, rest: &mut &str| -> Option<String> {
        let end = rest.char_indices().nth(len).map_or(rest.len(), |(i, _)| i);
        if rest[..end].chars().count() != len {
            return None;
        }
        let seg = rest[..end].to_string();
        *rest = rest[end..].strip_prefix(' ').unwrap_or(&rest[end..]);
        Some(seg)
    };
    let prefix = if prefix_len > 0 {
        take(prefix_len, &mut rest)?
    } else {
        String::new()
    };
    let mut segments = Vec::new();
    while !rest.is_empty() {
        let (n, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        let len: usize = n.parse().ok()?;
        rest = tail;
        segments.push(take(len, &mut rest)?);
    }
    Some(format!("{prefix}/{}", segments.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_dirs_decode() {
        for (raw, want) in [
            ("1 0 4 home 5 alice", Some("/home/alice")),
            ("1 0", Some("/")),
            ("1 0 8 my files 3 pub", Some("/my files/pub")),
            ("1 0 4 café", Some("/café")),
            ("8 2 C: 4 data", Some("C:/data")),
            ("1 0 9 short", None),
            ("x 0 4 home", None),
            ("1 0 4 home five", None),
        ] {
            assert_eq!(decode_remote_dir(raw).as_deref(), want, "{raw:?}");
        }
    }
}
