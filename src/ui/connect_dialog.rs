//! The connection dialog ("Connect to a server") and the form behind it,
//! which the quick-connect bar shares: every field as typed, validation that
//! names the field at fault, and the conversion into [`ConnectOptions`].

use std::net::{IpAddr, Ipv6Addr};
use std::ops::RangeInclusive;
use std::time::Duration;

use eframe::egui;

use crate::cli::url::FtpUrl;
use crate::ftp::{ConnectOptions, DataMode, Security, Timeouts};
pub use crate::sites::{ConnectionMode, LogonType, Protocol, TransferMode};

/// The labels of the form's fields: shown next to each input, used as its
/// accessible name, and named by [`ConnectForm::validate`] errors.
pub mod field {
    pub const PROTOCOL: &str = "Protocol";
    pub const HOST: &str = "Host";
    pub const PORT: &str = "Port";
    pub const LOGON: &str = "Logon type";
    pub const USER: &str = "User";
    pub const PASSWORD: &str = "Password";
    pub const MODE: &str = "Connection mode";
    pub const TRANSFER_MODE: &str = "Transfer mode";
    pub const TIMEOUT: &str = "Timeout";
    pub const KEEPALIVE: &str = "Keep-alive";
    pub const EXTERNAL_IP: &str = "External address";
    pub const PORT_RANGE: &str = "Port range";
    pub const TRUST_PASV_HOST: &str = "Trust PASV host";
    pub const SHOW_HIDDEN: &str = "Show hidden files";
    pub const REMOTE_PATH: &str = "Remote folder";
}

/// The user name and password sent for anonymous logon.
pub const ANONYMOUS_USER: &str = "anonymous";
pub const ANONYMOUS_PASSWORD: &str = "ferry@";

// The form's choices are the saved sites' own types; what the window needs
// on top of them (labels, the order of the lists) is here.

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Ftp, Protocol::ExplicitTls, Protocol::ImplicitTls];

    /// The name shown in the protocol list.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Ftp => "FTP",
            Protocol::ExplicitTls => "FTP over explicit TLS",
            Protocol::ImplicitTls => "FTP over implicit TLS",
        }
    }

    /// The usual port: 990 for implicit TLS, 21 otherwise.
    pub fn default_port(self) -> u16 {
        self.security().default_port()
    }
}

impl LogonType {
    pub const ALL: [LogonType; 3] = [LogonType::Anonymous, LogonType::Normal, LogonType::Ask];

    pub fn label(self) -> &'static str {
        match self {
            LogonType::Anonymous => "Anonymous",
            LogonType::Normal => "Normal",
            LogonType::Ask => "Ask for password",
        }
    }
}

impl ConnectionMode {
    pub const ALL: [ConnectionMode; 3] = [
        ConnectionMode::Passive,
        ConnectionMode::Active,
        ConnectionMode::Auto,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ConnectionMode::Passive => "Passive",
            ConnectionMode::Active => "Active",
            ConnectionMode::Auto => "Auto",
        }
    }

    /// One line saying what the choice does, shown under the choice.
    pub fn explanation(self) -> &'static str {
        match self {
            ConnectionMode::Passive => {
                "This computer opens the data connections; works behind most firewalls and NAT."
            }
            ConnectionMode::Active => {
                "The server connects back to this computer; needs a port reachable from the server."
            }
            ConnectionMode::Auto => {
                "Tries passive and falls back to active if the data connection is blocked."
            }
        }
    }
}

impl TransferMode {
    pub fn label(self) -> &'static str {
        match self {
            TransferMode::Stream => "Stream",
            TransferMode::Block => "Block",
            TransferMode::Compressed => "Compressed",
            TransferMode::Deflate => "Deflate",
        }
    }

    /// One line saying what the choice does, shown under the choice.
    pub fn explanation(self) -> &'static str {
        match self {
            TransferMode::Stream => "The file as it is (MODE S); every server speaks it.",
            TransferMode::Block => {
                "RFC 959 blocks with an end-of-file mark (MODE B); few servers offer it."
            }
            TransferMode::Compressed => {
                "RFC 959 run-length compression (MODE C); few servers offer it."
            }
            TransferMode::Deflate => {
                "Compresses with deflate (MODE Z) where the server offers it; helps text on slow links, skipped for compressed files."
            }
        }
    }
}

/// The connection form's fields, as typed (text fields stay text so
/// validation can point at what is wrong). The password is never saved.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ConnectForm {
    pub protocol: Protocol,
    pub host: String,
    pub port: String,
    pub logon: LogonType,
    pub user: String,
    #[serde(skip)]
    pub password: String,
    pub mode: ConnectionMode,
    pub transfer_mode: TransferMode,
    pub timeout_secs: String,
    /// Seconds between NOOPs while idle; empty for none.
    pub keepalive_secs: String,
    pub external_ip: String,
    pub port_range: String,
    pub trust_pasv_host: bool,
    pub show_hidden: bool,
    /// The folder to open after logging in (empty: the login folder).
    pub remote_path: String,
}

impl Default for ConnectForm {
    fn default() -> Self {
        ConnectForm {
            protocol: Protocol::Ftp,
            host: String::new(),
            port: "21".into(),
            logon: LogonType::Normal,
            user: String::new(),
            password: String::new(),
            mode: ConnectionMode::Auto,
            transfer_mode: TransferMode::Stream,
            timeout_secs: "20".into(),
            keepalive_secs: String::new(),
            external_ip: String::new(),
            port_range: String::new(),
            trust_pasv_host: false,
            show_hidden: false,
            remote_path: String::new(),
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
    /// which field (field label → message), listing every invalid field.
    pub fn validate(&self) -> Result<ConnectRequest, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let host = check(&mut errors, field::HOST, parse_host(&self.host));
        let port = check(
            &mut errors,
            field::PORT,
            parse_port(&self.port, self.protocol),
        );
        let login = check(&mut errors, field::USER, self.login());
        let timeout = check(
            &mut errors,
            field::TIMEOUT,
            parse_timeout(&self.timeout_secs),
        );
        let keepalive = check(
            &mut errors,
            field::KEEPALIVE,
            parse_keepalive(&self.keepalive_secs),
        );
        let external_ip = check(
            &mut errors,
            field::EXTERNAL_IP,
            parse_external_ip(&self.external_ip),
        );
        let port_range = check(
            &mut errors,
            field::PORT_RANGE,
            parse_port_range(&self.port_range),
        );
        let (
            Some(host),
            Some(port),
            Some((user, password)),
            Some(timeout),
            Some(keepalive),
            Some(external_ip),
            Some(port_range),
        ) = (
            host,
            port,
            login,
            timeout,
            keepalive,
            external_ip,
            port_range,
        )
        else {
            return Err(errors);
        };
        let mut o = ConnectOptions::new(host, port, user, password);
        o.security = self.protocol.security();
        o.mode = match self.mode {
            ConnectionMode::Active => DataMode::Active,
            ConnectionMode::Passive | ConnectionMode::Auto => DataMode::Passive,
        };
        o.auto_fallback = self.mode == ConnectionMode::Auto;
        o.timeouts = Timeouts::uniform(timeout);
        o.keepalive = keepalive;
        o.external_ip = external_ip;
        o.port_range = port_range;
        o.trust_pasv_host = self.trust_pasv_host;
        o.list_hidden = self.show_hidden;
        o.transfer_mode = self.transfer_mode;
        Ok(ConnectRequest {
            options: o,
            initial_path: initial_path(&self.remote_path),
            show_hidden: self.show_hidden,
        })
    }

    /// The user name and password to log in with.
    fn login(&self) -> Result<(String, String), String> {
        match self.logon {
            LogonType::Anonymous => Ok((ANONYMOUS_USER.into(), ANONYMOUS_PASSWORD.into())),
            LogonType::Normal | LogonType::Ask => {
                let user = self.user.trim();
                if user.is_empty() {
                    return Err("Enter a user name, or choose Anonymous logon".into());
                }
                Ok((user.to_string(), self.password.clone()))
            }
        }
    }

    /// Change the protocol; the port follows (21 ↔ 990) only while it
    /// still holds the old protocol's default, so a typed port stays.
    pub fn set_protocol(&mut self, protocol: Protocol) {
        let old_default = self.protocol.default_port();
        if self.port.trim() == old_default.to_string() || self.port.trim().is_empty() {
            self.port = protocol.default_port().to_string();
        }
        self.protocol = protocol;
    }

    /// Move a port typed after the host (`example.org:2121`) into the Port
    /// field; true if it did. IPv6 addresses are left alone.
    pub fn split_host_port(&mut self) -> bool {
        let host = self.host.trim();
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        let name = name.trim_end();
        if name.is_empty() || name.contains(':') && !(name.starts_with('[') && name.ends_with(']'))
        {
            return false;
        }
        match port.trim().parse::<u16>() {
            Ok(p) if p > 0 => {
                self.port = p.to_string();
                self.host = bare_host(name).to_string();
                true
            }
            _ => false,
        }
    }

    /// Fill the form from an `ftp://user:pass@host:port/path` or `ftps://`
    /// address (ftps = implicit TLS). A path becomes the folder to open,
    /// taken from the server's root. On error the form is unchanged.
    pub fn apply_url(&mut self, text: &str) -> Result<(), String> {
        let url = FtpUrl::parse(text.trim())
            .map_err(|_| "Not a valid ftp:// or ftps:// address".to_string())?;
        self.protocol = match (url.security, self.protocol) {
            (Security::Implicit, _) => Protocol::ImplicitTls,
            // ftp:// is plain FTP or explicit TLS (the same port and greeting).
            (_, Protocol::ExplicitTls) => Protocol::ExplicitTls,
            _ => Protocol::Ftp,
        };
        self.host = bare_host(&url.host).to_string();
        self.port = url.port.to_string();
        match url.user {
            Some(user) => {
                self.user = user;
                if self.logon == LogonType::Anonymous {
                    self.logon = LogonType::Normal;
                }
            }
            None => {
                self.user.clear();
                self.logon = LogonType::Anonymous;
            }
        }
        self.password = url.password.unwrap_or_default();
        self.remote_path = if url.path.is_empty() {
            String::new()
        } else {
            // The URL's path is relative to the login folder (RFC 1738), but
            // in a GUI people mean the path from the root.
            let path = String::from_utf8_lossy(&url.path);
            if path.starts_with('/') {
                path.into_owned()
            } else {
                format!("/{path}")
            }
        };
        Ok(())
    }
}

/// The value, or `None` after adding the error to the list.
fn check<T>(
    errors: &mut Vec<(&'static str, String)>,
    label: &'static str,
    result: Result<T, String>,
) -> Option<T> {
    result.map_err(|e| errors.push((label, e))).ok()
}

/// Whether the text is an `ftp://` or `ftps://` address rather than a host name.
pub fn looks_like_url(text: &str) -> bool {
    let t = text.trim_start().to_ascii_lowercase();
    t.starts_with("ftp://") || t.starts_with("ftps://")
}

/// A host name or IP address (IPv6 with or without brackets).
pub fn parse_host(text: &str) -> Result<String, String> {
    let host = text.trim();
    if host.is_empty() {
        return Err("Enter the server's host name or address".into());
    }
    if host.contains("://") {
        return Err("Not a valid ftp:// or ftps:// address".into());
    }
    let host = bare_host(host);
    if host
        .chars()
        .any(|c| c.is_whitespace() || "/@\\".contains(c))
    {
        return Err("A host name cannot contain spaces, /, \\ or @".into());
    }
    if host.contains(':') {
        if host.parse::<Ipv6Addr>().is_ok() {
            return Ok(host.to_string());
        }
        if host.matches(':').count() == 1 {
            return Err("Put the port in the Port field".into());
        }
        return Err("Not a valid IPv6 address".into());
    }
    let valid_name = host
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_');
    if !valid_name || host.starts_with('.') || host.contains("..") {
        return Err("Not a valid host name or address".into());
    }
    Ok(host.to_string())
}

/// `[::1]` → `::1`; anything else unchanged.
fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// A TCP port; empty means the protocol's usual one.
pub fn parse_port(text: &str, protocol: Protocol) -> Result<u16, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(protocol.default_port());
    }
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err("Enter a port from 1 to 65535".into()),
    }
}

/// Whole seconds, 1 to 600.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<u64>() {
        Ok(s) if (1..=600).contains(&s) => Ok(Duration::from_secs(s)),
        _ => Err("Enter a timeout from 1 to 600 seconds".into()),
    }
}

/// The keep-alive interval: empty or 0 for none, else 10–600 seconds.
pub fn parse_keepalive(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text.is_empty() || text == "0" {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(n @ 10..=600) => Ok(Some(Duration::from_secs(n))),
        _ => Err("Enter 10–600 seconds (30–60 suits most servers), or leave empty for none".into()),
    }
}

/// An optional IPv4 or IPv6 address to announce in active mode.
pub fn parse_external_ip(text: &str) -> Result<Option<IpAddr>, String> {
    let text = bare_host(text.trim());
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() || ip.is_multicast() => {
            Err("Enter this computer's public address, not a wildcard or multicast one".into())
        }
        Ok(ip) => Ok(Some(ip)),
        Err(_) => Err("Enter an IPv4 or IPv6 address, e.g. 203.0.113.5".into()),
    }
}

/// An optional `first-last` range of local ports for active mode (a single
/// port is a range of one).
pub fn parse_port_range(text: &str) -> Result<Option<RangeInclusive<u16>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (a, b) = text
        .split_once(['-', '–'])
        .map_or((text, text), |(a, b)| (a.trim(), b.trim()));
    let port = |s: &str| -> Result<u16, String> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err("Write the range as first-last, e.g. 50000-50100".into());
        }
        match s.parse::<u16>() {
            Ok(p) if p > 0 => Ok(p),
            _ => Err("Ports go from 1 to 65535".into()),
        }
    };
    let (a, b) = (port(a)?, port(b)?);
    if a > b {
        return Err(format!(
            "The first port ({a}) must not be above the last ({b})"
        ));
    }
    Ok(Some(a..=b))
}

/// The folder to open after login: from the root ("/" added) or none.
fn initial_path(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() {
        None
    } else if text.starts_with('/') {
        Some(text.as_bytes().to_vec())
    } else {
        Some(format!("/{text}").into_bytes())
    }
}

/// The message for `label` in a validation error list.
pub fn error_for<'a>(errors: &'a [(&'static str, String)], label: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(l, _)| *l == label)
        .map(|(_, m)| m.as_str())
}

/// Draw a red outline around an invalid input.
pub(crate) fn outline_invalid(ui: &egui::Ui, response: &egui::Response) {
    let visuals = ui.visuals();
    ui.painter().rect_stroke(
        response.rect,
        visuals.widgets.inactive.corner_radius,
        egui::Stroke::new(1.5, visuals.error_fg_color),
        egui::StrokeKind::Outside,
    );
}

/// If the text edit just received a pasted `ftp://` address, fill the form
/// from it (the field keeps the text when the address is not valid).
pub(crate) fn take_pasted_url(ui: &egui::Ui, response: &egui::Response, form: &mut ConnectForm) {
    if !response.changed() || !looks_like_url(&form.host) {
        return;
    }
    let pasted = ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Paste(_))));
    if pasted {
        let text = form.host.clone();
        let _ = form.apply_url(&text);
    }
}

/// The width of the wide inputs (host, user, password, …) in the dialog.
const WIDE: f32 = 260.0;
/// The width of the short inputs (port, timeout).
const NARROW: f32 = 80.0;

/// What the dialog keeps between frames besides the form (in egui's
/// temporary memory, dropped when the dialog closes).
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// Fields the user has edited or left: their "required" errors show.
    touched: Vec<&'static str>,
    /// The user tried to connect: every error shows.
    attempted: bool,
    /// The first field got keyboard focus.
    focused: bool,
    /// Asking for the password (logon "Ask"): what is typed so far.
    asking: Option<String>,
    /// The password is asked for a connection test, not to connect.
    asking_for_test: bool,
}

impl Scratch {
    fn touch(&mut self, label: &'static str, response: &egui::Response) {
        if (response.changed() || response.lost_focus()) && !self.touched.contains(&label) {
            self.touched.push(label);
        }
    }
}

/// What the user did this frame.
enum Outcome {
    Nothing,
    Connect,
    /// Run the connection test with the form's settings.
    Test,
    Cancel,
    /// Keep the form as a saved site.
    SaveAsSite,
    /// Submit the password typed into the "Ask" prompt.
    SubmitPassword,
    /// Leave the password prompt for the form.
    Back,
}

/// The connection dialog window.
#[derive(Default)]
pub struct ConnectDialog {
    pub open: bool,
    pub form: ConnectForm,
    /// Set when the user pressed "Test connection": the app runs the test
    /// and takes this. The dialog stays open.
    pub test_request: Option<ConnectRequest>,
    /// Set when "Save as site…" was clicked (the dialog closes); the app
    /// takes it and opens the form as a new site in the Site Manager.
    pub save_as_site: bool,
}

impl ConnectDialog {
    fn id() -> egui::Id {
        egui::Id::unique("ferry-connect-dialog")
    }

    /// Draw the dialog if open; returns a request when the user presses Connect.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<ConnectRequest> {
        let id = Self::id();
        let scratch_id = id.with("scratch");
        if !self.open {
            ctx.data_mut(|d| d.remove::<Scratch>(scratch_id));
            return None;
        }
        let mut scratch: Scratch = ctx.data(|d| d.get_temp(scratch_id)).unwrap_or_default();

        // Keys are read before the widgets see them: Escape belongs to an
        // open list first; Enter connects only from a text field (or from
        // nowhere), not from a focused button or list.
        let popup_open = egui::Popup::is_any_open(ctx);
        let escape = !popup_open
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape));
        let focused_before = ctx.memory(|m| m.focused());
        let enter = !popup_open && ctx.input(|i| i.key_pressed(egui::Key::Enter));

        let style = ctx.global_style();
        let max_height = (ctx.content_rect().height() - 140.0).max(200.0);
        let modal = egui::Modal::new(id)
            .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
            .show(ctx, |ui| {
                ui.set_max_width(WIDE + 190.0);
                let mut text_ids = Vec::new();
                let mut outcome = match scratch.asking.as_mut() {
                    Some(password) => ask_password_ui(
                        ui,
                        &self.form,
                        password,
                        scratch.asking_for_test,
                        &mut text_ids,
                    ),
                    None => form_ui(ui, &mut self.form, &mut scratch, max_height, &mut text_ids),
                };
                let from_text_field = focused_before.is_none_or(|f| text_ids.contains(&f));
                if matches!(outcome, Outcome::Nothing) && enter && from_text_field {
                    outcome = if scratch.asking.is_some() {
                        Outcome::SubmitPassword
                    } else {
                        Outcome::Connect
                    };
                }
                if escape {
                    outcome = if scratch.asking.is_some() {
                        Outcome::Back
                    } else {
                        Outcome::Cancel
                    };
                }
                outcome
            });

        let mut request = None;
        match modal.inner {
            Outcome::Nothing => {}
            Outcome::Cancel => self.open = false,
            Outcome::SaveAsSite => {
                self.open = false;
                self.save_as_site = true;
            }
            Outcome::Back => scratch.asking = None,
            Outcome::Connect | Outcome::Test => {
                let test = matches!(modal.inner, Outcome::Test);
                match self.form.validate() {
                    Ok(_) if self.form.logon == LogonType::Ask => {
                        self.form.password.clear();
                        scratch.asking = Some(String::new());
                        scratch.asking_for_test = test;
                    }
                    Ok(r) if test => self.test_request = Some(r),
                    Ok(r) => request = Some(r),
                    Err(_) => scratch.attempted = true,
                }
            }
            Outcome::SubmitPassword => {
                let mut form = self.form.clone();
                form.password = scratch.asking.take().unwrap_or_default();
                if std::mem::take(&mut scratch.asking_for_test) {
                    self.test_request = form.validate().ok();
                } else {
                    request = form.validate().ok();
                }
            }
        }
        if request.is_some() {
            // Never keep an asked-for password once it has been used.
            if self.form.logon == LogonType::Ask {
                self.form.password.clear();
            }
            self.open = false;
        }
        if self.open {
            ctx.data_mut(|d| d.insert_temp(scratch_id, scratch));
        } else {
            ctx.data_mut(|d| d.remove::<Scratch>(scratch_id));
        }
        request
    }
}

/// The form: basic fields, connection and transfer mode, then "Advanced".
fn form_ui(
    ui: &mut egui::Ui,
    form: &mut ConnectForm,
    scratch: &mut Scratch,
    max_height: f32,
    text_ids: &mut Vec<egui::Id>,
) -> Outcome {
    ui.heading("Connect to a server");
    ui.add_space(8.0);

    let errors = form.validate().err().unwrap_or_default();
    // An empty required field is not an error until the user has been
    // there (or tried to connect); a wrong value always is.
    let visible = |scratch: &Scratch, label: &'static str, value: &str| {
        let e = error_for(&errors, label)?;
        (scratch.attempted || scratch.touched.contains(&label) || !value.trim().is_empty())
            .then_some(e)
    };
    let weak = ui.visuals().weak_text_color();

    egui::ScrollArea::vertical()
        .max_height(max_height)
        .auto_shrink([true, true])
        .show(ui, |ui| {
            form_grid(ui, "ferry-connect-main", |ui| {
                // Protocol
                let label = ui.label(field::PROTOCOL);
                ui.vertical(|ui| {
                    ui.spacing_mut().item_spacing.y = 2.0;
                    let mut protocol = form.protocol;
                    egui::ComboBox::from_id_salt("ferry-connect-protocol")
                        .selected_text(protocol.label())
                        .width(WIDE)
                        .show_ui(ui, |ui| {
                            for p in Protocol::ALL {
                                ui.selectable_value(&mut protocol, p, p.label());
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    if protocol != form.protocol {
                        form.set_protocol(protocol);
                    }
                    if form.protocol == Protocol::Ftp && form.logon != LogonType::Anonymous {
                        note(
                            ui,
                            "Plain FTP sends the password and files unencrypted.",
                            weak,
                        );
                    }
                });
                ui.end_row();

                // Host and port
                let e = visible(scratch, field::HOST, &form.host);
                let r = text_row(ui, field::HOST, e, |ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut form.host)
                            .hint_text("ftp.example.com")
                            .desired_width(WIDE),
                    )
                });
                take_pasted_url(ui, &r, form);
                if r.lost_focus() && !looks_like_url(&form.host) {
                    form.split_host_port();
                }
                scratch.touch(field::HOST, &r);
                if !scratch.focused {
                    r.request_focus();
                    scratch.focused = true;
                }
                text_ids.push(r.id);

                let e = visible(scratch, field::PORT, &form.port);
                let r = text_row(ui, field::PORT, e, |ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut form.port)
                            .hint_text(form.protocol.default_port().to_string())
                            .desired_width(NARROW),
                    )
                });
                scratch.touch(field::PORT, &r);
                text_ids.push(r.id);

                // Logon
                let label = ui.label(field::LOGON);
                egui::ComboBox::from_id_salt("ferry-connect-logon")
                    .selected_text(form.logon.label())
                    .width(WIDE)
                    .show_ui(ui, |ui| {
                        for l in LogonType::ALL {
                            ui.selectable_value(&mut form.logon, l, l.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();

                let e = visible(scratch, field::USER, &form.user);
                let r = text_row(ui, field::USER, e, |ui| {
                    if form.logon == LogonType::Anonymous {
                        let mut shown = ANONYMOUS_USER;
                        ui.add_enabled(
                            false,
                            egui::TextEdit::singleline(&mut shown).desired_width(WIDE),
                        )
                    } else {
                        ui.add(egui::TextEdit::singleline(&mut form.user).desired_width(WIDE))
                    }
                });
                scratch.touch(field::USER, &r);
                text_ids.push(r.id);

                let r = text_row(ui, field::PASSWORD, None, |ui| match form.logon {
                    LogonType::Normal => ui.add(
                        egui::TextEdit::singleline(&mut form.password)
                            .password(true)
                            .desired_width(WIDE),
                    ),
                    LogonType::Anonymous | LogonType::Ask => {
                        let hint = if form.logon == LogonType::Ask {
                            "Asked for when you connect"
                        } else {
                            "Not needed"
                        };
                        let mut empty = "";
                        ui.add_enabled(
                            false,
                            egui::TextEdit::singleline(&mut empty)
                                .hint_text(hint)
                                .desired_width(WIDE),
                        )
                    }
                });
                text_ids.push(r.id);

                choice_row(
                    ui,
                    WIDE,
                    "ferry-connect-mode",
                    field::MODE,
                    &mut form.mode,
                    &ConnectionMode::ALL,
                    describe_mode,
                );
                choice_row(
                    ui,
                    WIDE,
                    "ferry-connect-transfer-mode",
                    field::TRANSFER_MODE,
                    &mut form.transfer_mode,
                    &TransferMode::ALL,
                    describe_transfer_mode,
                );
            });

            ui.add_space(6.0);
            let advanced = [
                field::TIMEOUT,
                field::KEEPALIVE,
                field::EXTERNAL_IP,
                field::PORT_RANGE,
            ];
            let advanced_invalid = advanced.iter().any(|l| error_for(&errors, l).is_some());
            egui::CollapsingHeader::new("Advanced")
                .id_salt("ferry-connect-advanced")
                .open(advanced_invalid.then_some(true))
                .show_unindented(ui, |ui| {
                    form_grid(ui, "ferry-connect-advanced-grid", |ui| {
                        let e = visible(scratch, field::TIMEOUT, &form.timeout_secs);
                        let r = text_row(ui, field::TIMEOUT, e, |ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut form.timeout_secs)
                                    .suffix("s")
                                    .desired_width(NARROW),
                            )
                            .on_hover_text("How long to wait for the server (1–600 seconds)")
                        });
                        scratch.touch(field::TIMEOUT, &r);
                        text_ids.push(r.id);

                        let e = visible(scratch, field::KEEPALIVE, &form.keepalive_secs);
                        let r = text_row(ui, field::KEEPALIVE, e, |ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut form.keepalive_secs)
                                    .hint_text("Off")
                                    .suffix("s")
                                    .desired_width(NARROW),
                            )
                            .on_hover_text(
                                "Send NOOP after this many idle seconds (10–600), so a firewall \
                                 does not drop the connection and a dead one is noticed at once",
                            )
                        });
                        scratch.touch(field::KEEPALIVE, &r);
                        text_ids.push(r.id);

                        let e = visible(scratch, field::EXTERNAL_IP, &form.external_ip);
                        let r = text_row(ui, field::EXTERNAL_IP, e, |ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut form.external_ip)
                                    .hint_text("Automatic")
                                    .desired_width(WIDE),
                            )
                            .on_hover_text(
                                "Active mode: the address the server should connect back to, \
                                 when this computer is behind NAT (IPv4 or IPv6)",
                            )
                        });
                        scratch.touch(field::EXTERNAL_IP, &r);
                        text_ids.push(r.id);

                        let e = visible(scratch, field::PORT_RANGE, &form.port_range);
                        let r = text_row(ui, field::PORT_RANGE, e, |ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut form.port_range)
                                    .hint_text("Any, e.g. 50000-50100")
                                    .desired_width(WIDE),
                            )
                            .on_hover_text(
                                "Active mode: the local ports to listen on, if a firewall \
                                 allows only these",
                            )
                        });
                        scratch.touch(field::PORT_RANGE, &r);
                        text_ids.push(r.id);

                        let r = text_row(ui, field::REMOTE_PATH, None, |ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut form.remote_path)
                                    .hint_text("The login folder")
                                    .desired_width(WIDE),
                            )
                            .on_hover_text("The folder to open after logging in")
                        });
                        text_ids.push(r.id);

                        ui.label("");
                        ui.checkbox(&mut form.trust_pasv_host, field::TRUST_PASV_HOST)
                            .on_hover_text(
                                "Passive mode: connect to the address the server names in its \
                                 PASV reply. Off by default, because servers behind NAT often \
                                 name a private address that cannot be reached; then Ferry \
                                 uses the server's own address instead.",
                            );
                        ui.end_row();

                        ui.label("");
                        ui.checkbox(&mut form.show_hidden, field::SHOW_HIDDEN)
                            .on_hover_text(
                                "List files whose names start with a dot (LIST -a when the \
                                 server has no MLSD)",
                            );
                        ui.end_row();
                    });
                });
        });

    ui.add_space(8.0);
    ui.separator();
    let valid = errors.is_empty();
    buttons_row(ui, |ui| {
        let mut outcome = Outcome::Nothing;
        if ui
            .add(egui::Button::new("Cancel").min_size(egui::vec2(80.0, 0.0)))
            .clicked()
        {
            outcome = Outcome::Cancel;
        }
        let summary: Vec<String> = errors.iter().map(|(l, m)| format!("{l}: {m}")).collect();
        if ui
            .add_enabled(
                valid,
                egui::Button::new("Connect").min_size(egui::vec2(80.0, 0.0)),
            )
            .on_disabled_hover_text(summary.join("\n"))
            .clicked()
        {
            outcome = Outcome::Connect;
        }
        if ui
            .add_enabled(valid, egui::Button::new("Test connection"))
            .on_hover_text(
                "Try each step (login, passive and active data connections) and say which mode works",
            )
            .on_disabled_hover_text(summary.join("\n"))
            .clicked()
        {
            outcome = Outcome::Test;
        }
        if ui
            .button("Save as site…")
            .on_hover_text("Keep these settings in the Site Manager")
            .clicked()
        {
            outcome = Outcome::SaveAsSite;
        }
        // Say why Connect is disabled when the field at fault shows nothing yet.
        if let Some((label, message)) = errors.first()
            && !scratch.attempted
            && !scratch.touched.contains(label)
        {
            ui.add(
                egui::Label::new(egui::RichText::new(message.as_str()).small().color(weak))
                    .truncate(),
            );
        }
        outcome
    })
}

/// The follow-up prompt for logon "Ask": one password field.
fn ask_password_ui(
    ui: &mut egui::Ui,
    form: &ConnectForm,
    password: &mut String,
    for_test: bool,
    text_ids: &mut Vec<egui::Id>,
) -> Outcome {
    ui.heading("Enter the password");
    ui.add_space(4.0);
    ui.label(format!(
        "Password for {} on {}",
        form.user.trim(),
        parse_host(&form.host).unwrap_or_default()
    ));
    ui.add_space(8.0);
    form_grid(ui, "ferry-connect-ask", |ui| {
        let r = text_row(ui, field::PASSWORD, None, |ui| {
            ui.add(
                egui::TextEdit::singleline(password)
                    .password(true)
                    .desired_width(WIDE),
            )
        });
        if !r.has_focus() && !r.lost_focus() && ui.memory(|m| m.focused().is_none()) {
            r.request_focus();
        }
        text_ids.push(r.id);
    });
    note(
        ui,
        "The password is used for this connection only and is not saved.",
        ui.visuals().weak_text_color(),
    );
    ui.add_space(8.0);
    ui.separator();
    buttons_row(ui, |ui| {
        let mut outcome = Outcome::Nothing;
        if ui
            .add(egui::Button::new("Back").min_size(egui::vec2(80.0, 0.0)))
            .clicked()
        {
            outcome = Outcome::Back;
        }
        if ui
            .add(
                egui::Button::new(if for_test { "Test" } else { "Connect" })
                    .min_size(egui::vec2(80.0, 0.0)),
            )
            .clicked()
        {
            outcome = Outcome::SubmitPassword;
        }
        outcome
    })
}

/// A two-column form grid: labels on the left, inputs on the right.
pub(crate) fn form_grid(ui: &mut egui::Ui, id_salt: &str, rows: impl FnOnce(&mut egui::Ui)) {
    egui::Grid::new(id_salt)
        .num_columns(2)
        .spacing([14.0, 8.0])
        .min_col_width(110.0)
        .show(ui, rows);
}

/// One labelled text-input row, with the error (if any) under the input.
fn text_row(
    ui: &mut egui::Ui,
    label: &'static str,
    error: Option<&str>,
    add: impl FnOnce(&mut egui::Ui) -> egui::Response,
) -> egui::Response {
    let label_response = ui.label(label);
    let response = ui
        .vertical(|ui| {
            ui.spacing_mut().item_spacing.y = 2.0;
            let r = add(ui).labelled_by(label_response.id);
            if let Some(e) = error {
                outline_invalid(ui, &r);
                note(ui, e, ui.visuals().error_fg_color);
            }
            r
        })
        .inner;
    ui.end_row();
    response
}

/// Small text under an input (an explanation or an error), wrapped to the
/// width of the wide inputs.
/// Small wrapped text under a field: an explanation or an error.
fn note(ui: &mut egui::Ui, text: &str, color: egui::Color32) -> egui::Response {
    note_within(ui, WIDE, text, color)
}

/// [`note`] wrapped at `width` (the Site Manager's fields are wider).
pub(crate) fn note_within(
    ui: &mut egui::Ui,
    width: f32,
    text: &str,
    color: egui::Color32,
) -> egui::Response {
    ui.scope(|ui| {
        ui.set_max_width(width);
        ui.add(egui::Label::new(egui::RichText::new(text).small().color(color)).wrap())
    })
    .inner
}

/// A grid row choosing one of `choices` from a combo box labelled `label`:
/// each choice's explanation on hover, the chosen one's under the box.
/// Used by this dialog and the Site Manager for the two mode fields.
pub(crate) fn choice_row<T: Copy + PartialEq>(
    ui: &mut egui::Ui,
    width: f32,
    id_salt: &str,
    label: &str,
    value: &mut T,
    choices: &[T],
    describe: fn(T) -> (&'static str, &'static str),
) {
    let weak = ui.visuals().weak_text_color();
    let label = ui.label(label);
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing.y = 2.0;
        egui::ComboBox::from_id_salt(id_salt)
            .selected_text(describe(*value).0)
            .width(width)
            .show_ui(ui, |ui| {
                for &c in choices {
                    let (text, explanation) = describe(c);
                    ui.selectable_value(value, c, text)
                        .on_hover_text(explanation);
                }
            })
            .response
            .labelled_by(label.id);
        note_within(ui, width, describe(*value).1, weak);
    });
    ui.end_row();
}

/// Label and explanation of a connection mode, for [`choice_row`].
pub(crate) fn describe_mode(m: ConnectionMode) -> (&'static str, &'static str) {
    (m.label(), m.explanation())
}

/// Label and explanation of a transfer mode, for [`choice_row`].
pub(crate) fn describe_transfer_mode(t: TransferMode) -> (&'static str, &'static str) {
    (t.label(), t.explanation())
}

/// Buttons at the bottom right, the first added rightmost.
fn buttons_row(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> Outcome) -> Outcome {
    ui.add_space(4.0);
    buttons_layout(ui, add)
}

/// A row as wide as the dialog, filled from the right (the first widget
/// added is rightmost), only as tall as a button.
pub(crate) fn buttons_layout<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    ui.allocate_ui_with_layout(size, egui::Layout::right_to_left(egui::Align::Center), add)
        .inner
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(host: &str) -> ConnectForm {
        ConnectForm {
            host: host.into(),
            user: "alice".into(),
            password: "secret".into(),
            ..ConnectForm::default()
        }
    }

    fn labels(errors: &[(&'static str, String)]) -> Vec<&'static str> {
        errors.iter().map(|(l, _)| *l).collect()
    }

    #[test]
    fn a_valid_form_maps_every_field_into_the_options() {
        let f = ConnectForm {
            protocol: Protocol::ExplicitTls,
            port: " 2121 ".into(),
            mode: ConnectionMode::Active,
            timeout_secs: "45".into(),
            external_ip: "203.0.113.5".into(),
            port_range: "50000-50100".into(),
            trust_pasv_host: true,
            show_hidden: true,
            remote_path: "pub/files".into(),
            ..form(" ftp.example.org ")
        };
        let r = f.validate().unwrap();
        let o = &r.options;
        assert_eq!(o.host, "ftp.example.org");
        assert_eq!(o.port, 2121);
        assert_eq!((o.user.as_str(), o.password.as_str()), ("alice", "secret"));
        assert_eq!(o.security, Security::Explicit);
        assert_eq!(o.mode, DataMode::Active);
        assert!(!o.auto_fallback);
        assert_eq!(o.timeouts, Timeouts::uniform(Duration::from_secs(45)));
        assert_eq!(o.external_ip, Some("203.0.113.5".parse().unwrap()));
        assert_eq!(o.port_range, Some(50000..=50100));
        assert!(o.trust_pasv_host);
        assert!(o.list_hidden);
        assert!(r.show_hidden);
        assert_eq!(r.initial_path.as_deref(), Some(b"/pub/files".as_slice()));
    }

    #[test]
    fn every_transfer_mode_choice_is_live() {
        for mode in TransferMode::ALL {
            let f = ConnectForm {
                transfer_mode: mode,
                ..form("ftp.example.org")
            };
            assert_eq!(f.validate().unwrap().options.transfer_mode, mode);
        }
    }

    #[test]
    fn every_invalid_field_is_reported_with_its_label() {
        let f = ConnectForm {
            host: " ".into(),
            port: "70000".into(),
            user: String::new(),
            transfer_mode: TransferMode::Block,
            timeout_secs: "0".into(),
            external_ip: "300.1.1.1".into(),
            port_range: "50100-50000".into(),
            ..ConnectForm::default()
        };
        let errors = f.validate().unwrap_err();
        assert_eq!(
            labels(&errors),
            [
                field::HOST,
                field::PORT,
                field::USER,
                field::TIMEOUT,
                field::EXTERNAL_IP,
                field::PORT_RANGE
            ]
        );
        assert!(
            error_for(&errors, field::HOST)
                .unwrap()
                .contains("host name")
        );
        assert!(
            error_for(&errors, field::PORT)
                .unwrap()
                .contains("1 to 65535")
        );
        assert!(
            error_for(&errors, field::PORT_RANGE)
                .unwrap()
                .contains("must not be above")
        );
    }

    #[test]
    fn hosts_are_checked() {
        let table: &[(&str, Result<&str, &str>)] = &[
            ("ftp.example.org", Ok("ftp.example.org")),
            ("  localhost ", Ok("localhost")),
            ("192.0.2.1", Ok("192.0.2.1")),
            ("::1", Ok("::1")),
            ("[2001:db8::1]", Ok("2001:db8::1")),
            ("my_host-2", Ok("my_host-2")),
            ("", Err("host name")),
            ("ftp.example.org:2121", Err("Port field")),
            ("ftp://", Err("ftp://")),
            ("ftp.example.org/pub", Err("cannot contain")),
            ("two words", Err("cannot contain")),
            ("user@host", Err("cannot contain")),
            ("example.org:99999", Err("Port field")),
            ("1:2:3", Err("IPv6")),
            ("a..b", Err("Not a valid host")),
            ("a;b", Err("Not a valid host")),
        ];
        for (input, want) in table {
            match (parse_host(input), want) {
                (Ok(h), Ok(w)) => assert_eq!(h, *w, "{input:?}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{input:?}: {e}"),
                (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn ports_and_timeouts_are_bounded() {
        assert_eq!(parse_port("21", Protocol::Ftp), Ok(21));
        assert_eq!(parse_port("65535", Protocol::Ftp), Ok(65535));
        assert_eq!(parse_port("", Protocol::ImplicitTls), Ok(990));
        assert_eq!(parse_port("", Protocol::ExplicitTls), Ok(21));
        for bad in ["0", "65536", "-1", "2 1", "abc"] {
            assert!(parse_port(bad, Protocol::Ftp).is_err(), "{bad}");
        }
        assert_eq!(parse_timeout("1"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_timeout(" 600 "), Ok(Duration::from_secs(600)));
        for bad in ["0", "601", "", "1.5", "ten"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_keepalive(""), Ok(None));
        assert_eq!(parse_keepalive("0"), Ok(None));
        assert_eq!(parse_keepalive(" 45 "), Ok(Some(Duration::from_secs(45))));
        for bad in ["5", "601", "1.5", "often"] {
            assert!(parse_keepalive(bad).is_err(), "{bad}");
        }
        let mut f = form("ftp.example.com");
        f.keepalive_secs = "30".into();
        assert_eq!(
            f.validate().unwrap().options.keepalive,
            Some(Duration::from_secs(30))
        );
        f.keepalive_secs = "3".into();
        assert_eq!(labels(&f.validate().unwrap_err()), [field::KEEPALIVE]);
    }

    #[test]
    fn port_ranges_parse() {
        type Want = Result<Option<RangeInclusive<u16>>, &'static str>;
        let table: &[(&str, Want)] = &[
            ("", Ok(None)),
            ("50000-50100", Ok(Some(50000..=50100))),
            (" 50000 - 50100 ", Ok(Some(50000..=50100))),
            ("50000–50100", Ok(Some(50000..=50100))),
            ("6000", Ok(Some(6000..=6000))),
            ("1-65535", Ok(Some(1..=65535))),
            ("7-7", Ok(Some(7..=7))),
            ("50100-50000", Err("must not be above")),
            ("0-10", Err("1 to 65535")),
            ("1-70000", Err("1 to 65535")),
            ("50000-", Err("first-last")),
            ("-5", Err("first-last")),
            ("a-b", Err("first-last")),
            ("1-2-3", Err("first-last")),
        ];
        for (input, want) in table {
            match (parse_port_range(input), want) {
                (Ok(r), Ok(w)) => assert_eq!(&r, w, "{input:?}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{input:?}: {e}"),
                (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn external_addresses_take_ipv4_and_ipv6() {
        assert_eq!(parse_external_ip(""), Ok(None));
        assert_eq!(
            parse_external_ip("203.0.113.5"),
            Ok(Some("203.0.113.5".parse().unwrap()))
        );
        assert_eq!(
            parse_external_ip("2001:db8::7"),
            Ok(Some("2001:db8::7".parse().unwrap()))
        );
        assert_eq!(
            parse_external_ip("[2001:db8::7]"),
            Ok(Some("2001:db8::7".parse().unwrap()))
        );
        for bad in [
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "host.example",
            "1.2.3",
            "1.2.3.4:5",
        ] {
            assert!(parse_external_ip(bad).is_err(), "{bad}");
        }
        let f = ConnectForm {
            external_ip: "2001:db8::7".into(),
            mode: ConnectionMode::Active,
            ..form("h")
        };
        assert!(f.validate().unwrap().options.external_ip.unwrap().is_ipv6());
    }

    #[test]
    fn anonymous_logon_uses_the_anonymous_login() {
        let f = ConnectForm {
            logon: LogonType::Anonymous,
            user: String::new(),
            password: String::new(),
            ..form("h")
        };
        let o = f.validate().unwrap().options;
        assert_eq!(
            (o.user.as_str(), o.password.as_str()),
            ("anonymous", "ferry@")
        );
        // A typed user does not leak into an anonymous login.
        let f = ConnectForm {
            logon: LogonType::Anonymous,
            ..form("h")
        };
        assert_eq!(f.validate().unwrap().options.user, "anonymous");
    }

    #[test]
    fn normal_and_ask_logon_need_a_user() {
        for logon in [LogonType::Normal, LogonType::Ask] {
            let f = ConnectForm {
                logon,
                user: "  ".into(),
                ..form("h")
            };
            assert_eq!(labels(&f.validate().unwrap_err()), [field::USER]);
        }
        // An empty password is allowed (some servers take any).
        let f = ConnectForm {
            password: String::new(),
            ..form("h")
        };
        assert_eq!(f.validate().unwrap().options.password, "");
    }

    #[test]
    fn protocols_set_the_security() {
        for (p, s, port) in [
            (Protocol::Ftp, Security::None, 21),
            (Protocol::ExplicitTls, Security::Explicit, 21),
            (Protocol::ImplicitTls, Security::Implicit, 990),
        ] {
            let mut f = form("h");
            f.set_protocol(p);
            let o = f.validate().unwrap().options;
            assert_eq!((o.security, o.port), (s, port), "{p:?}");
        }
    }

    #[test]
    fn modes_map_to_data_mode_and_fallback() {
        for (m, mode, fallback) in [
            (ConnectionMode::Passive, DataMode::Passive, false),
            (ConnectionMode::Active, DataMode::Active, false),
            (ConnectionMode::Auto, DataMode::Passive, true),
        ] {
            let f = ConnectForm {
                mode: m,
                ..form("h")
            };
            let o = f.validate().unwrap().options;
            assert_eq!((o.mode, o.auto_fallback), (mode, fallback), "{m:?}");
        }
    }

    #[test]
    fn switching_protocol_moves_only_a_default_port() {
        let mut f = form("h");
        f.set_protocol(Protocol::ImplicitTls);
        assert_eq!(f.port, "990");
        f.set_protocol(Protocol::ExplicitTls);
        assert_eq!(f.port, "21");
        f.set_protocol(Protocol::Ftp);
        assert_eq!(f.port, "21");
        f.port = "2121".into();
        f.set_protocol(Protocol::ImplicitTls);
        assert_eq!(f.port, "2121");
        f.set_protocol(Protocol::Ftp);
        assert_eq!(f.port, "2121");
        // 990 typed for plain FTP is the user's choice, not a default.
        f.port = "990".into();
        f.set_protocol(Protocol::ExplicitTls);
        assert_eq!(f.port, "990");
        f.port = String::new();
        f.set_protocol(Protocol::ImplicitTls);
        assert_eq!(f.port, "990");
    }

    #[test]
    fn a_port_typed_after_the_host_moves_to_the_port_field() {
        let table = [
            ("example.org:2121", true, "example.org", "2121"),
            (" example.org : 990 ", true, "example.org", "990"),
            ("[2001:db8::1]:2121", true, "2001:db8::1", "2121"),
            ("2001:db8::1", false, "2001:db8::1", "21"),
            ("example.org", false, "example.org", "21"),
            ("example.org:0", false, "example.org:0", "21"),
            ("example.org:x", false, "example.org:x", "21"),
            (":21", false, ":21", "21"),
        ];
        for (input, moved, host, port) in table {
            let mut f = form(input);
            assert_eq!(f.split_host_port(), moved, "{input:?}");
            assert_eq!(
                (f.host.as_str(), f.port.as_str()),
                (host, port),
                "{input:?}"
            );
        }
    }

    #[test]
    fn initial_paths_start_at_the_root() {
        assert_eq!(initial_path(""), None);
        assert_eq!(initial_path("  "), None);
        assert_eq!(initial_path("/a/b"), Some(b"/a/b".to_vec()));
        assert_eq!(initial_path("a/b"), Some(b"/a/b".to_vec()));
    }

    #[test]
    fn pasted_urls_fill_the_form() {
        struct Case {
            url: &'static str,
            protocol: Protocol,
            host: &'static str,
            port: &'static str,
            logon: LogonType,
            user: &'static str,
            password: &'static str,
            path: &'static str,
        }
        let cases = [
            Case {
                url: "ftp://alice@ftp.example.org:2121/pub/files",
                protocol: Protocol::Ftp,
                host: "ftp.example.org",
                port: "2121",
                logon: LogonType::Normal,
                user: "alice",
                password: "",
                path: "/pub/files",
            },
            Case {
                url: "ftps://bob:s3cret@secure.example.org",
                protocol: Protocol::ImplicitTls,
                host: "secure.example.org",
                port: "990",
                logon: LogonType::Normal,
                user: "bob",
                password: "s3cret",
                path: "",
            },
            Case {
                url: "ftp://example.org/",
                protocol: Protocol::Ftp,
                host: "example.org",
                port: "21",
                logon: LogonType::Anonymous,
                user: "",
                password: "",
                path: "",
            },
            Case {
                url: "  FTP://j%C3%B6rg:p%40ss%3Aword@h:99//tmp/my%20dir/ ",
                protocol: Protocol::Ftp,
                host: "h",
                port: "99",
                logon: LogonType::Normal,
                user: "jörg",
                password: "p@ss:word",
                path: "/tmp/my dir/",
            },
            Case {
                url: "ftps://[2001:db8::1]:2990/%2Fetc",
                protocol: Protocol::ImplicitTls,
                host: "2001:db8::1",
                port: "2990",
                logon: LogonType::Anonymous,
                user: "",
                password: "",
                path: "/etc",
            },
        ];
        for c in cases {
            let mut f = ConnectForm {
                user: "old".into(),
                password: "old".into(),
                remote_path: "/old".into(),
                ..ConnectForm::default()
            };
            f.apply_url(c.url).unwrap();
            assert_eq!(f.protocol, c.protocol, "{}", c.url);
            assert_eq!(f.host, c.host, "{}", c.url);
            assert_eq!(f.port, c.port, "{}", c.url);
            assert_eq!(f.logon, c.logon, "{}", c.url);
            assert_eq!(f.user, c.user, "{}", c.url);
            assert_eq!(f.password, c.password, "{}", c.url);
            assert_eq!(f.remote_path, c.path, "{}", c.url);
            let r = f.validate().unwrap();
            let want_path = (!c.path.is_empty()).then(|| c.path.as_bytes().to_vec());
            assert_eq!(r.initial_path, want_path, "{}", c.url);
        }
    }

    #[test]
    fn a_pasted_ftp_url_keeps_explicit_tls() {
        let mut f = ConnectForm::default();
        f.set_protocol(Protocol::ExplicitTls);
        f.apply_url("ftp://h").unwrap();
        assert_eq!(f.protocol, Protocol::ExplicitTls);
        f.set_protocol(Protocol::ImplicitTls);
        f.apply_url("ftp://h").unwrap();
        assert_eq!((f.protocol, f.port.as_str()), (Protocol::Ftp, "21"));
    }

    #[test]
    fn a_bad_url_leaves_the_form_alone() {
        let mut f = form("h");
        let before = f.clone();
        assert!(f.apply_url("ftp://").is_err());
        assert!(f.apply_url("http://example.org").is_err());
        assert_eq!(f, before);
        assert!(looks_like_url(" ftps://x"));
        assert!(looks_like_url("FTP://x"));
        assert!(!looks_like_url("ftp.example.org"));
    }

    /// eframe's storage, in memory: the form is persisted through it.
    #[derive(Default)]
    struct MemoryStorage(std::collections::HashMap<String, String>);

    impl eframe::Storage for MemoryStorage {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.into(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    #[test]
    fn the_password_is_never_persisted() {
        use eframe::Storage as _;
        let f = ConnectForm {
            remote_path: "/pub".into(),
            ..form("h")
        };
        let mut storage = MemoryStorage::default();
        eframe::set_value(&mut storage, "form", &f);
        let saved = storage.get_string("form").unwrap();
        assert!(
            saved.contains("alice") && !saved.contains("secret"),
            "{saved}"
        );
        let back: ConnectForm = eframe::get_value(&storage, "form").unwrap();
        assert_eq!(
            back,
            ConnectForm {
                password: String::new(),
                ..f
            }
        );
        // Forms saved before a field existed still load.
        storage.set_string("old", "(host: \"h\")".into());
        let old: ConnectForm = eframe::get_value(&storage, "old").unwrap();
        assert_eq!((old.host.as_str(), old.port.as_str()), ("h", "21"));
    }

    #[test]
    fn forms_saved_with_the_old_choice_names_still_load() {
        use eframe::Storage as _;
        let mut storage = MemoryStorage::default();
        storage.set_string(
            "old",
            "(protocol: ExplicitTls, host: \"h\", logon: Ask, mode: Auto, transfer_mode: Stream)"
                .into(),
        );
        let old: ConnectForm = eframe::get_value(&storage, "old").unwrap();
        assert_eq!(old.protocol, Protocol::ExplicitTls);
        assert_eq!(old.logon, LogonType::Ask);
        assert_eq!(old.mode, ConnectionMode::Auto);
        assert_eq!(old.transfer_mode, TransferMode::Stream);
    }
}
