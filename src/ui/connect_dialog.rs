//! STUB (being written): the connection dialog and its form.

use eframe::egui;

use crate::ftp::{ConnectOptions, DataMode, Security};

/// Which protocol the form connects with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Protocol {
    #[default]
    Ftp,
    ExplicitTls,
    ImplicitTls,
}

/// How the user logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Logon {
    Anonymous,
    #[default]
    Normal,
    /// Ask for the password each time (never kept).
    Ask,
}

/// Passive, active, or passive with fallback to active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ModeChoice {
    #[default]
    Passive,
    Active,
    Auto,
}

/// RFC 959 transfer modes plus MODE Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum TransferModeChoice {
    #[default]
    Stream,
    Block,
    Compressed,
    Deflate,
}

/// The connection form's fields, as typed (text fields stay text so
/// validation can point at what is wrong). The password is never saved.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ConnectForm {
    pub protocol: Protocol,
    pub host: String,
    pub port: String,
    pub logon: Logon,
    pub user: String,
    #[serde(skip)]
    pub password: String,
    pub mode: ModeChoice,
    pub transfer_mode: TransferModeChoice,
    pub timeout_secs: String,
    pub external_ip: String,
    pub port_range: String,
    pub trust_pasv_host: bool,
    pub show_hidden: bool,
}

impl Default for ConnectForm {
    fn default() -> Self {
        ConnectForm {
            protocol: Protocol::Ftp,
            host: String::new(),
            port: "21".into(),
            logon: Logon::Normal,
            user: String::new(),
            password: String::new(),
            mode: ModeChoice::Passive,
            transfer_mode: TransferModeChoice::Stream,
            timeout_secs: "20".into(),
            external_ip: String::new(),
            port_range: String::new(),
            trust_pasv_host: false,
            show_hidden: false,
        }
    }
}

/// A validated request to connect.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    pub options: ConnectOptions,
    pub initial_path: Option<Vec<u8>>,
    pub show_hidden: bool,
}

impl ConnectForm {
    /// Turn the form into connection options, or say what is wrong with
    /// which field (field label → message).
    pub fn validate(&self) -> Result<ConnectRequest, Vec<(&'static str, String)>> {
        if self.host.trim().is_empty() {
            return Err(vec![(
                "Host",
                "Enter the server's host name or address".into(),
            )]);
        }
        let port: u16 = self
            .port
            .trim()
            .parse()
            .map_err(|_| vec![("Port", "Enter a port from 1 to 65535".to_string())])?;
        let mut o = ConnectOptions::new(
            self.host.trim(),
            port,
            self.user.trim(),
            self.password.clone(),
        );
        o.security = match self.protocol {
            Protocol::Ftp => Security::None,
            Protocol::ExplicitTls => Security::Explicit,
            Protocol::ImplicitTls => Security::Implicit,
        };
        o.mode = if self.mode == ModeChoice::Active {
            DataMode::Active
        } else {
            DataMode::Passive
        };
        o.auto_fallback = self.mode == ModeChoice::Auto;
        Ok(ConnectRequest {
            options: o,
            initial_path: None,
            show_hidden: self.show_hidden,
        })
    }
}

/// The connection dialog window.
#[derive(Default)]
pub struct ConnectDialog {
    pub open: bool,
    pub form: ConnectForm,
}

impl ConnectDialog {
    /// Draw the dialog if open; returns a request when the user presses Connect.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<ConnectRequest> {
        let mut open = self.open;
        let mut request = None;
        egui::Window::new("Connect to a server")
            .open(&mut open)
            .show(ctx, |ui| {
                if ui.button("Connect").clicked() {
                    request = self.form.validate().ok();
                }
            });
        self.open = open && request.is_none();
        request
    }
}
