//! The FTP protocol engine: control and data connections, replies, TLS,
//! listings. No app state and no UI; usable and tested on its own.

pub mod ascii;
pub mod control;
pub mod data;
pub mod error;
pub mod features;
pub mod listing;
pub mod log;
pub mod modes;
pub mod options;
pub mod proxy;
pub mod reply;
pub mod session;
pub mod set_time;
pub mod stream;
pub mod tls;
pub mod url;

pub use error::{Channel, DataMode, ErrorClass, FtpError, Result};
pub use listing::{EntryKind, ListingFormat, RemoteEntry};
pub use log::{LogKind, LogLine, LogSink, SharedLog};
pub use modes::TransferMode;
pub use options::{ConnectOptions, NameCharset, Security, Timeouts};
pub use proxy::{Proxy, ProxyKind};
pub use session::{EarlyEnd, Session, TransferType, on_out_of_order, remember_one_at_a_time};
pub use tls::{CertificateInfo, TrustPolicy};
