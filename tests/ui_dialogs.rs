//! The quick-connect bar, the connection dialog and the certificate prompt,
//! driven through egui_kittest by their labels, as a user (or a screen
//! reader) would.

use eframe::egui;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use ferry::ftp::{CertificateInfo, ConnectOptions, DataMode, Security, TrustPolicy};
use ferry::ui::cert_dialog::{self, CertDecision, CertPrompt};
use ferry::ui::connect_dialog::{
    ConnectDialog, ConnectForm, ConnectRequest, DialogIntent, LogonType,
};
use ferry::ui::connect_form::Protocol;
use ferry::ui::quick_connect::{QuickConnect, QuickIntent};

// ---------------------------------------------------------------- quick connect

struct Bar {
    bar: QuickConnect,
    requests: Vec<ConnectRequest>,
}

fn quick_harness(form: ConnectForm) -> Harness<'static, Bar> {
    Harness::builder()
        .with_size([1100.0, 120.0])
        .build_ui_state(
            |ui, state: &mut Bar| {
                if let Some(QuickIntent::Connect(r)) = state.bar.ui(ui) {
                    let r = *r;
                    state.requests.push(r);
                }
            },
            Bar {
                bar: QuickConnect {
                    form,
                    ..QuickConnect::default()
                },
                requests: Vec::new(),
            },
        )
}

#[test]
fn quick_connect_enter_in_a_field_connects_with_what_was_typed() {
    let mut h = quick_harness(ConnectForm {
        port: String::new(),
        ..ConnectForm::default()
    });
    h.get_by_label("Host").click();
    h.run();
    h.get_by_label("Host").type_text("ftp.example.org");
    h.get_by_label("Port").click();
    h.run();
    h.get_by_label("Port").type_text("2121");
    h.get_by_label("User").click();
    h.run();
    h.get_by_label("User").type_text("alice");
    h.get_by_label("Password").click();
    h.run();
    h.get_by_label("Password").type_text("s3cret");
    h.run();
    assert!(h.state().requests.is_empty());

    h.key_press(egui::Key::Enter);
    h.run();

    let requests = &h.state().requests;
    assert_eq!(requests.len(), 1);
    let o = &requests[0].options;
    assert_eq!(o.host, "ftp.example.org");
    assert_eq!(o.port, 2121);
    assert_eq!((o.user.as_str(), o.password.as_str()), ("alice", "s3cret"));
    assert_eq!(o.mode, DataMode::Passive);
    assert_eq!(requests[0].initial_path, None);
}

#[test]
fn quick_connect_password_is_hidden_and_every_input_is_labelled() {
    let mut h = quick_harness(ConnectForm {
        password: "s3cret".into(),
        ..ConnectForm::default()
    });
    h.run();
    assert_ne!(
        h.get_by_label("Password").value().as_deref(),
        Some("s3cret")
    );
    assert_eq!(
        h.get_by_label("Connection mode").accesskit_node().role(),
        Role::ComboBox
    );
    h.get_by_role_and_label(Role::Button, "Connect");
}

#[test]
fn quick_connect_with_an_empty_host_shows_why_and_does_not_connect() {
    let mut h = quick_harness(ConnectForm::default());
    h.get_by_role_and_label(Role::Button, "Connect").click();
    h.run();

    assert!(h.state().requests.is_empty());
    h.get_by_label_contains("Enter the server's host name or address");

    // Typing is not blocked, and a fixed field connects.
    h.get_by_label("Host").click();
    h.run();
    h.get_by_label("Host").type_text("h");
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().requests.len(), 1);
    assert!(
        h.query_by_label_contains("Enter the server's host name")
            .is_none()
    );
}

#[test]
fn quick_connect_mode_combo_chooses_active() {
    let mut h = quick_harness(ConnectForm {
        host: "h".into(),
        ..ConnectForm::default()
    });
    h.get_by_label("Connection mode").click();
    h.run();
    h.get_by_label("Active").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "Connect").click();
    h.run();
    assert_eq!(h.state().requests[0].options.mode, DataMode::Active);
}

#[test]
fn pasting_an_ftp_url_into_host_fills_the_bar() {
    let mut h = quick_harness(ConnectForm::default());
    h.get_by_label("Host").click();
    h.run();
    h.event(egui::Event::Paste(
        "ftp://bob:p%40ss@files.example.org:2121/pub/docs".into(),
    ));
    h.run();

    let form = &h.state().bar.form;
    assert_eq!(form.host, "files.example.org");
    assert_eq!(form.port, "2121");
    assert_eq!(form.user, "bob");
    assert_eq!(form.password, "p@ss");
    assert_eq!(
        h.get_by_label("Host").value().as_deref(),
        Some("files.example.org")
    );

    h.get_by_role_and_label(Role::Button, "Connect").click();
    h.run();
    let r = &h.state().requests[0];
    assert_eq!(r.options.security, Security::None);
    assert_eq!(r.initial_path.as_deref(), Some(b"/pub/docs".as_slice()));
}

#[test]
fn a_pasted_url_sets_the_bars_protocol_by_its_scheme() {
    // The bar kept explicit TLS from an earlier site; ftp:// means plain FTP.
    let mut form = ConnectForm::default();
    form.set_protocol(Protocol::ExplicitTls);
    let mut h = quick_harness(form);
    h.run();
    assert_eq!(
        h.get_by_label("Protocol").value().as_deref(),
        Some("Explicit TLS")
    );
    h.get_by_label("Host").click();
    h.run();
    h.event(egui::Event::Paste("ftp://demo.example.org:2121/".into()));
    h.run();
    assert_eq!(h.state().bar.form.protocol, Protocol::Ftp);
    assert_eq!(h.get_by_label("Protocol").value().as_deref(), Some("FTP"));
    h.key_press(egui::Key::Enter);
    h.run();
    let o = &h.state().requests[0].options;
    assert_eq!((o.security, o.port), (Security::None, 2121));
}

#[test]
fn the_bar_offers_explicit_tls_if_available() {
    let mut h = quick_harness(ConnectForm {
        host: "h".into(),
        ..ConnectForm::default()
    });
    h.get_by_label("Protocol").click();
    h.run();
    h.get_by_label("FTP, explicit TLS if available").click();
    h.run();
    assert_eq!(
        h.get_by_label("Protocol").value().as_deref(),
        Some("TLS if available")
    );
    h.get_by_role_and_label(Role::Button, "Connect").click();
    h.run();
    assert_eq!(
        h.state().requests[0].options.security,
        Security::ExplicitIfAvailable
    );
}

#[test]
fn a_typed_ftps_url_connects_with_implicit_tls_on_enter() {
    let mut h = quick_harness(ConnectForm::default());
    h.get_by_label("Host").click();
    h.run();
    h.get_by_label("Host")
        .type_text("ftps://secure.example.org");
    h.key_press(egui::Key::Enter);
    h.run();
    let o = &h.state().requests[0].options;
    assert_eq!(
        (o.host.as_str(), o.port, o.security),
        ("secure.example.org", 990, Security::Implicit)
    );
    assert_eq!(o.user, "anonymous");
}

#[test]
fn a_port_typed_after_the_host_is_used_as_the_port() {
    let mut h = quick_harness(ConnectForm::default());
    h.get_by_label("Host").click();
    h.run();
    h.get_by_label("Host").type_text("files.example.org:2121");
    h.key_press(egui::Key::Enter);
    h.run();
    let o = &h.state().requests[0].options;
    assert_eq!((o.host.as_str(), o.port), ("files.example.org", 2121));
    assert_eq!(h.get_by_label("Port").value().as_deref(), Some("2121"));
}

// ---------------------------------------------------------------- dialog

struct Dialog {
    dialog: ConnectDialog,
    requests: Vec<ConnectRequest>,
    tests: Vec<ConnectRequest>,
}

fn dialog_harness(form: ConnectForm) -> Harness<'static, Dialog> {
    Harness::builder().with_size([900.0, 900.0]).build_ui_state(
        |ui, state: &mut Dialog| match state.dialog.show(ui.ctx()) {
            Some(DialogIntent::Connect(r)) => state.requests.push(r),
            Some(DialogIntent::Test(r)) => state.tests.push(r),
            _ => {}
        },
        Dialog {
            dialog: ConnectDialog {
                open: true,
                form,
                ..Default::default()
            },
            requests: Vec::new(),
            tests: Vec::new(),
        },
    )
}

fn filled() -> ConnectForm {
    ConnectForm {
        host: "ftp.example.org".into(),
        user: "alice".into(),
        password: "pw".into(),
        ..ConnectForm::default()
    }
}

fn connect_button<'h>(h: &'h Harness<'_, Dialog>) -> egui_kittest::Node<'h> {
    h.get_by_role_and_label(Role::Button, "Connect")
}

/// Scroll the widget labelled `label` into view and wait until it stops
/// moving: egui animates the scroll, for longer the further it goes, and
/// starts it a frame after the request (one still frame is not the end).
fn scroll_into_view(h: &mut Harness<'_, Dialog>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    let mut last = h.get_by_label(label).rect();
    let mut still = 0;
    for _ in 0..120 {
        h.step();
        let now = h.get_by_label(label).rect();
        still = if now == last { still + 1 } else { 0 };
        if still == 3 {
            return;
        }
        last = now;
    }
    panic!("{label} kept moving");
}

#[test]
fn dialog_shows_every_labelled_field() {
    let mut h = dialog_harness(filled());
    h.run();
    h.get_by_label("Connect to a server");
    for label in [
        "Protocol",
        "Host",
        "Port",
        "Logon type",
        "User",
        "Password",
        "Connection mode",
        "Transfer mode",
    ] {
        h.get_by_label(label);
    }
    // Auto is the default; its explanation shows under the choice.
    h.get_by_label_contains("falls back to active if the data connection is blocked");
    h.get_by_label("Advanced").click();
    h.run();
    for label in [
        "Transfer type",
        "Segments",
        "Timeout",
        "Keep-alive",
        "Server time zone",
        "External address",
        "Port range",
        "Trust PASV host",
        "Proxy",
        "Show hidden files",
    ] {
        h.get_by_label(label);
    }
}

#[test]
fn dialog_connects_through_the_proxy_typed_in_advanced() {
    let mut h = dialog_harness(filled());
    h.get_by_label("Advanced").click();
    h.run();
    scroll_into_view(&mut h, "Proxy");
    h.get_by_label("Proxy").click();
    h.run();
    h.get_by_label("Proxy").type_text("socks4://127.0.0.1:1080");
    h.run();
    h.get_by_label_contains("Ferry speaks SOCKS5 and HTTP CONNECT proxies");
    assert!(connect_button(&h).accesskit_node().is_disabled());
    h.state_mut().dialog.form.proxy = "socks5h://bob:pw@127.0.0.1:1080".into();
    h.run();
    connect_button(&h).click();
    h.run();
    let s = h.state();
    assert_eq!(s.requests.len(), 1, "the dialog connected");
    let proxy = s.requests[0].options.proxy.clone().expect("a proxy");
    assert_eq!(proxy.url(), "socks5h://bob@127.0.0.1:1080");
    assert_eq!(proxy.password, "pw");
    // Auto mode stays passive through a proxy.
    assert!(!s.requests[0].options.auto_fallback);
}

#[test]
fn dialog_connects_with_the_transfer_type_and_segments_chosen_in_advanced() {
    let mut h = dialog_harness(filled());
    h.run();
    // Folded away at first, so the dialog keeps its size.
    assert!(h.query_by_label("Transfer type").is_none());
    h.get_by_label("Advanced").click();
    h.run();
    scroll_into_view(&mut h, "Transfer type");
    h.get_by_label_contains("The transfer type chosen in Preferences");
    h.get_by_label("Transfer type").click();
    h.run();
    h.get_by_label("ASCII").click();
    h.run();
    h.get_by_label_contains("Line ends converted");
    h.get_by_label("Segments").click();
    h.run();
    h.get_by_label("4").click();
    h.run();
    connect_button(&h).click();
    h.run();
    let s = h.state();
    assert_eq!(s.requests.len(), 1, "the dialog connected");
    let o = &s.requests[0].options;
    assert_eq!(
        (o.transfer_type, o.segments),
        (Some(ferry::ftp::ascii::TypeChoice::Ascii), 4)
    );
}

#[test]
fn dialog_connects_in_active_mode() {
    let mut h = dialog_harness(filled());
    h.get_by_label("Connection mode").click();
    h.run();
    h.get_by_label("Active").click();
    h.run();
    h.get_by_label_contains("The server connects back");
    connect_button(&h).click();
    h.run();

    let s = h.state();
    assert_eq!(s.requests.len(), 1);
    let o = &s.requests[0].options;
    assert_eq!(o.mode, DataMode::Active);
    assert!(!o.auto_fallback);
    assert_eq!((o.user.as_str(), o.password.as_str()), ("alice", "pw"));
    assert!(!s.dialog.open);
}

#[test]
fn dialog_bad_port_range_shows_an_error_and_disables_connect() {
    let mut h = dialog_harness(filled());
    h.run();
    assert!(!connect_button(&h).accesskit_node().is_disabled());
    h.get_by_label("Advanced").click();
    h.run();
    // The open Advanced section scrolls inside the dialog.
    scroll_into_view(&mut h, "Port range");
    h.get_by_label("Port range").click();
    h.run();
    h.get_by_label("Port range").type_text("50100-50000");
    h.run();

    h.get_by_label_contains("must not be above");
    assert!(connect_button(&h).accesskit_node().is_disabled());
    // Enter does not connect an invalid form either.
    h.key_press(egui::Key::Enter);
    h.run();
    assert!(h.state().requests.is_empty());
    assert!(h.state().dialog.open);
}

#[test]
fn dialog_empty_host_disables_connect_and_says_why() {
    let mut h = dialog_harness(ConnectForm {
        host: String::new(),
        ..filled()
    });
    h.run();
    assert!(connect_button(&h).accesskit_node().is_disabled());
    h.get_by_label_contains("Enter the server's host name or address");

    h.get_by_label("Host").type_text("h");
    h.run();
    assert!(!connect_button(&h).accesskit_node().is_disabled());
    assert!(
        h.query_by_label_contains("Enter the server's host name")
            .is_none()
    );
    h.key_press(egui::Key::Backspace);
    h.run();
    assert!(connect_button(&h).accesskit_node().is_disabled());
    h.get_by_label_contains("Enter the server's host name or address");
}

#[test]
fn dialog_enter_connects_and_escape_cancels() {
    let mut h = dialog_harness(filled());
    h.run();
    // The host field has the focus when the dialog opens.
    assert!(h.get_by_label("Host").is_focused());
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().requests.len(), 1);
    assert!(!h.state().dialog.open);

    h.state_mut().dialog.open = true;
    h.run();
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(!h.state().dialog.open);
    assert_eq!(h.state().requests.len(), 1);
}

#[test]
fn dialog_protocol_switch_moves_the_default_port() {
    let mut h = dialog_harness(filled());
    h.get_by_label("Protocol").click();
    h.run();
    h.get_by_label("FTP over implicit TLS").click();
    h.run();
    assert_eq!(h.get_by_label("Port").value().as_deref(), Some("990"));
    connect_button(&h).click();
    h.run();
    let o = &h.state().requests[0].options;
    assert_eq!((o.security, o.port), (Security::Implicit, 990));
}

#[test]
fn dialog_anonymous_logon_disables_user_and_password() {
    let mut h = dialog_harness(filled());
    h.get_by_label("Logon type").click();
    h.run();
    h.get_by_label("Anonymous").click();
    h.run();
    assert!(h.get_by_label("User").accesskit_node().is_disabled());
    assert!(h.get_by_label("Password").accesskit_node().is_disabled());
    connect_button(&h).click();
    h.run();
    let o = &h.state().requests[0].options;
    assert_eq!(
        (o.user.as_str(), o.password.as_str()),
        ("anonymous", "ferry@")
    );
}

#[test]
fn dialog_ask_logon_prompts_for_the_password_and_does_not_keep_it() {
    let mut h = dialog_harness(ConnectForm {
        logon: LogonType::Ask,
        password: String::new(),
        ..filled()
    });
    connect_button(&h).click();
    h.run();
    assert!(h.state().requests.is_empty());
    h.get_by_label_contains("Password for alice on ftp.example.org");
    assert!(h.get_by_label("Password").is_focused());
    h.get_by_label("Password").type_text("once");
    h.key_press(egui::Key::Enter);
    h.run();

    let s = h.state();
    assert_eq!(s.requests.len(), 1);
    assert_eq!(s.requests[0].options.password, "once");
    assert_eq!(s.dialog.form.password, "");
    assert!(!s.dialog.open);
}

#[test]
fn testing_an_ask_logon_asks_for_the_password_and_only_tests() {
    let mut h = dialog_harness(ConnectForm {
        logon: LogonType::Ask,
        password: String::new(),
        ..filled()
    });
    h.get_by_label("Test connection").click();
    h.run();
    h.get_by_label_contains("Password for alice on ftp.example.org");
    h.get_by_label("Password").type_text("once");
    h.get_by_role_and_label(Role::Button, "Test").click();
    h.run();

    let s = h.state();
    assert!(s.requests.is_empty(), "nothing connects");
    let test = s.tests.first().expect("a test is asked for");
    assert_eq!(test.options.password, "once");
    assert_eq!(s.dialog.form.password, "", "the password is not kept");
    assert!(s.dialog.open, "the dialog stays open beside the test");
}

// ---------------------------------------------------------------- certificate

fn cert_prompt(reason: &str, trust: TrustPolicy) -> CertPrompt {
    let mut options = ConnectOptions::new("ftp.example.org", 990, "alice", "pw");
    options.security = Security::Implicit;
    options.trust = trust;
    CertPrompt {
        certificate: Box::new(CertificateInfo {
            subject: "CN=ftp.example.org".into(),
            issuer: "CN=Example Test CA".into(),
            not_before: "Jan  1 00:00:00 2025 +00:00".into(),
            not_after: "Jan  1 00:00:00 2027 +00:00".into(),
            sha256: std::array::from_fn(|i| (i as u8).wrapping_mul(37)),
            der: Vec::new(),
        }),
        reason: reason.into(),
        options: Box::new(options),
        initial_path: None,
        previous: None,
    }
}

struct Cert {
    prompt: CertPrompt,
    decisions: Vec<CertDecision>,
}

fn cert_harness(prompt: CertPrompt) -> Harness<'static, Cert> {
    Harness::builder().with_size([900.0, 700.0]).build_ui_state(
        |ui, state: &mut Cert| {
            if let Some(d) = cert_dialog::show(ui.ctx(), &state.prompt) {
                state.decisions.push(d);
            }
        },
        Cert {
            prompt,
            decisions: Vec::new(),
        },
    )
}

#[test]
fn cert_prompt_shows_the_certificate_and_trusts_once() {
    let prompt = cert_prompt(
        "invalid peer certificate: UnknownIssuer",
        TrustPolicy::SystemRoots,
    );
    let lines = cert_dialog::fingerprint_lines(&prompt.certificate);
    let mut h = cert_harness(prompt);
    h.run();

    h.get_by_label("Unknown certificate");
    h.get_by_label("ftp.example.org:990");
    h.get_by_label_contains("UnknownIssuer");
    h.get_by_label("CN=ftp.example.org");
    h.get_by_label("CN=Example Test CA");
    h.get_by_label("Jan  1 00:00:00 2027 +00:00");
    for line in &lines {
        h.get_by_label_contains(line);
    }
    assert!(h.query_by_label("Certificate changed").is_none());

    h.get_by_label("Trust once").click();
    h.run();
    assert_eq!(h.state().decisions, [CertDecision::TrustOnce]);
}

#[test]
fn cert_prompt_always_trust_and_escape() {
    let mut h = cert_harness(cert_prompt("x", TrustPolicy::SystemRoots));
    h.get_by_label("Always trust this host").click();
    h.run();
    assert_eq!(h.state().decisions, [CertDecision::AlwaysTrust]);

    let mut h = cert_harness(cert_prompt("x", TrustPolicy::SystemRoots));
    h.run();
    h.key_press(egui::Key::Escape);
    h.run();
    assert_eq!(h.state().decisions, [CertDecision::Cancel]);
}

#[test]
fn a_changed_certificate_warns_of_an_attack_and_focuses_cancel() {
    let mut h = cert_harness(cert_prompt(
        "the certificate does not match the trusted fingerprint",
        TrustPolicy::Pinned(vec![[1; 32]]),
    ));
    h.run();
    h.get_by_label("Certificate changed");
    h.get_by_label_contains("different from the one you trusted before");
    h.get_by_label_contains("attack");
    assert!(h.get_by_label("Cancel").is_focused());
    h.get_by_label("Cancel").click();
    h.run();
    assert_eq!(h.state().decisions, [CertDecision::Cancel]);
}
