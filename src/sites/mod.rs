//! Saved sites: the profiles file, passwords in the OS keyring, trusted
//! certificates and FileZilla import. The window, the command line and the
//! engine use it; it uses only the protocol engine's option types.

pub mod bookmark;
mod error;
pub mod filezilla;
pub mod password_file;
pub mod profile;
pub mod secrets;
pub mod server_notes;
pub mod spec;
pub mod store;
pub mod trust;

pub use bookmark::{Bookmark, BookmarkEdit, BookmarkScope};
pub use error::{Result, SitesError};
pub use filezilla::{ImportReport, import_filezilla, import_filezilla_xml};
pub use password_file::{KdfCost, PASSWORD_FILE, PasswordFile};
pub use profile::{
    Charset, ConnectionMode, LogonType, PortRange, Protocol, Site, TransferMode, host_port,
    new_site_id,
};
pub use profile::{SiteProxy, is_proxy_secret_id, proxy_secret_id};
pub use secrets::{KeyringOrFile, KeyringStatus, MemorySecrets, OsKeyring, SecretStore};
pub use spec::{ANONYMOUS_PASSWORD, ANONYMOUS_USER, ConnectSpec};
pub use store::{
    LoadWarning, Loaded, SCHEMA_VERSION, SITES_FILE, SiteList, SiteStore, default_config_dir,
    export,
};
pub use trust::{TRUST_FILE, TrustCheck, TrustStore};
