//! Asking the user about a server certificate the system does not trust, or
//! one that differs from the certificate the user trusted before (loudly:
//! that is what an interception looks like).

use eframe::egui;

use super::connect_dialog::buttons_layout;
use crate::ftp::{CertificateInfo, ConnectOptions, TrustPolicy};

/// A certificate waiting for the user's decision, with what to retry.
#[derive(Debug, Clone)]
pub struct CertPrompt {
    pub certificate: Box<CertificateInfo>,
    pub reason: String,
    pub options: Box<ConnectOptions>,
    pub initial_path: Option<Vec<u8>>,
    /// The fingerprint (lowercase hex SHA-256) the user chose to always
    /// trust for this server before, when the trust file has one.
    pub previous: Option<String>,
}

impl CertPrompt {
    /// Whether the server presented a different certificate from the one
    /// the user trusted before (a pinned fingerprint did not match).
    pub fn is_changed(&self) -> bool {
        self.previous.is_some()
            || self.reason.contains("does not match")
            || matches!(self.options.trust, TrustPolicy::Pinned(_))
    }
}

/// Hex (any case, with or without colons) as `AB:CD:…` in lines of eight bytes.
fn hex_lines(hex: &str) -> Vec<String> {
    let digits: Vec<char> = hex
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    digits
        .chunks(16)
        .map(|line| {
            line.chunks(2)
                .map(|b| b.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect()
}

/// What the user decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertDecision {
    TrustOnce,
    AlwaysTrust,
    Cancel,
}

/// The SHA-256 fingerprint as `AB:CD:…` in lines of eight bytes, easy to
/// compare group by group with what the server's administrator reads out.
pub fn fingerprint_lines(certificate: &CertificateInfo) -> Vec<String> {
    certificate
        .sha256
        .chunks(8)
        .map(|chunk| {
            chunk
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect()
}

/// Draw the prompt; returns the decision once made (Escape = Cancel).
pub fn show(ctx: &egui::Context, prompt: &CertPrompt) -> Option<CertDecision> {
    let id = egui::Id::unique("ferry-cert-prompt");
    let changed = prompt.is_changed();
    let style = ctx.global_style();
    let max_height = (ctx.content_rect().height() - 160.0).max(160.0);
    let modal = egui::Modal::new(id)
        .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
        .show(ctx, |ui| {
            ui.set_max_width(540.0);
            let visuals = ui.visuals().clone();
            let addr = prompt.options.addr_text();

            ui.horizontal(|ui| {
                if changed {
                    let red = visuals.error_fg_color;
                    warning_icon(ui, red);
                    ui.label(
                        egui::RichText::new("Certificate changed")
                            .heading()
                            .strong()
                            .color(red),
                    );
                } else {
                    warning_icon(ui, visuals.warn_fg_color);
                    ui.heading("Unknown certificate");
                }
            });
            ui.add_space(6.0);

            // Small windows scroll the details; the buttons stay in view.
            egui::ScrollArea::vertical()
                .max_height(max_height)
                .show(ui, |ui| {
                    if changed {
                        egui::Frame::new()
                            .fill(visuals.error_fg_color.gamma_multiply(0.12))
                            .stroke(egui::Stroke::new(1.0, visuals.error_fg_color))
                            .corner_radius(6.0)
                            .inner_margin(egui::Margin::symmetric(10, 8))
                            .show(ui, |ui| {
                                ui.label(
                                    egui::RichText::new(format!(
                                        "The certificate of {addr} is different from the one you \
                                 trusted before. This could be an attack: someone may be \
                                 intercepting the connection to read your password and files."
                                    ))
                                    .strong()
                                    .color(visuals.error_fg_color),
                                );
                                ui.label(
                                    "It can also happen when the server's certificate was renewed. \
                             Continue only if the server's administrator confirms the new \
                             fingerprint below.",
                                );
                            });
                    } else {
                        ui.label(format!(
                            "The server {addr} sent a certificate that could not be verified. \
                     Check its fingerprint with the server's administrator before you trust it."
                        ));
                    }
                    ui.add_space(4.0);
                    ui.label(
                        egui::RichText::new(format!("Reason: {}", prompt.reason))
                            .small()
                            .color(visuals.weak_text_color()),
                    );
                    ui.add_space(8.0);

                    details(ui, prompt, &addr);
                });

            ui.add_space(10.0);
            ui.separator();
            ui.add_space(4.0);
            buttons(ui, id.with(prompt.certificate.sha256), changed)
        });
    let decision = modal.inner;
    if decision.is_none() && modal.should_close() {
        return Some(CertDecision::Cancel);
    }
    decision
}

/// A warning triangle with "!", painted (the bundled fonts have no ⚠ glyph).
fn warning_icon(ui: &mut egui::Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(22.0, 20.0), egui::Sense::hover());
    let points = vec![rect.center_top(), rect.right_bottom(), rect.left_bottom()];
    let painter = ui.painter();
    painter.add(egui::Shape::convex_polygon(
        points,
        color,
        egui::Stroke::NONE,
    ));
    painter.text(
        rect.center() + egui::vec2(0.0, 3.0),
        egui::Align2::CENTER_CENTER,
        "!",
        egui::FontId::proportional(14.0),
        ui.visuals().panel_fill,
    );
}

/// Who the certificate is for, who signed it, when it is valid, and its fingerprint.
fn details(ui: &mut egui::Ui, prompt: &CertPrompt, addr: &str) {
    let cert = &prompt.certificate;
    let weak = ui.visuals().weak_text_color();
    egui::Grid::new("ferry-cert-details")
        .num_columns(2)
        .spacing([14.0, 6.0])
        .min_col_width(110.0)
        .max_col_width(400.0)
        .show(ui, |ui| {
            let row = |ui: &mut egui::Ui, name: &str, value: &str| {
                ui.label(egui::RichText::new(name).color(weak));
                ui.add(egui::Label::new(value).wrap().selectable(true));
                ui.end_row();
            };
            row(ui, "Server", addr);
            row(ui, "Subject", &cert.subject);
            if cert.issuer == cert.subject {
                row(ui, "Issuer", &format!("{} (self-signed)", cert.issuer));
            } else {
                row(ui, "Issuer", &cert.issuer);
            }
            row(ui, "Valid from", &cert.not_before);
            row(ui, "Valid until", &cert.not_after);

            if let Some(old) = &prompt.previous {
                ui.label(egui::RichText::new("Trusted before").color(weak));
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(hex_lines(old).join("\n"))
                            .monospace()
                            .color(weak),
                    )
                    .selectable(true),
                );
                ui.end_row();
            }
            let now = if prompt.previous.is_some() {
                "Presented now"
            } else {
                "SHA-256 fingerprint"
            };
            ui.label(egui::RichText::new(now).color(weak));
            ui.vertical(|ui| {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(fingerprint_lines(cert).join("\n")).monospace(),
                    )
                    .selectable(true),
                );
                if ui
                    .small_button("Copy fingerprint")
                    .on_hover_text("Copy as AB:CD:… (the form browsers and OpenSSL show)")
                    .clicked()
                {
                    ui.ctx().copy_text(cert.fingerprint_colon());
                }
            });
            ui.end_row();
        });
}

/// Trust once, always trust, or cancel (which has the focus when the
/// certificate changed, so a stray Enter does not trust it).
fn buttons(ui: &mut egui::Ui, focus_id: egui::Id, changed: bool) -> Option<CertDecision> {
    buttons_layout(ui, |ui| {
        let size = egui::vec2(80.0, 0.0);
        let mut decision = None;
        let cancel = ui.add(egui::Button::new("Cancel").min_size(size));
        if cancel.clicked() {
            decision = Some(CertDecision::Cancel);
        }
        if changed && !ui.data(|d| d.get_temp::<bool>(focus_id).unwrap_or(false)) {
            cancel.request_focus();
            ui.data_mut(|d| d.insert_temp(focus_id, true));
        }
        if ui
            .add(egui::Button::new("Always trust this host").min_size(size))
            .on_hover_text("Remember this certificate for this host and port")
            .clicked()
        {
            decision = Some(CertDecision::AlwaysTrust);
        }
        if ui
            .add(egui::Button::new("Trust once").min_size(size))
            .on_hover_text("Connect now; ask again next time")
            .clicked()
        {
            decision = Some(CertDecision::TrustOnce);
        }
        decision
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(reason: &str, trust: TrustPolicy) -> CertPrompt {
        let mut options = ConnectOptions::new("h", 21, "u", "p");
        options.trust = trust;
        CertPrompt {
            certificate: Box::new(CertificateInfo {
                subject: "CN=h".into(),
                issuer: "CN=h".into(),
                not_before: "a".into(),
                not_after: "b".into(),
                sha256: std::array::from_fn(|i| i as u8 * 8),
                der: Vec::new(),
            }),
            reason: reason.into(),
            options: Box::new(options),
            initial_path: None,
            previous: None,
        }
    }

    #[test]
    fn fingerprints_show_in_four_groups_of_eight_bytes() {
        let p = prompt("x", TrustPolicy::SystemRoots);
        let lines = fingerprint_lines(&p.certificate);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], "00:08:10:18:20:28:30:38");
        assert_eq!(lines.join(":"), p.certificate.fingerprint_colon());
    }

    #[test]
    fn previous_fingerprints_print_like_the_new_one() {
        let p = prompt("x", TrustPolicy::SystemRoots);
        let hex: String = p
            .certificate
            .sha256
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex_lines(&hex), fingerprint_lines(&p.certificate));
    }

    #[test]
    fn a_mismatch_with_a_trusted_fingerprint_is_a_change() {
        let mut p = prompt("UnknownIssuer", TrustPolicy::SystemRoots);
        p.previous = Some("ab".repeat(32));
        assert!(p.is_changed());
        assert!(
            !prompt(
                "invalid peer certificate: UnknownIssuer",
                TrustPolicy::SystemRoots
            )
            .is_changed()
        );
        assert!(
            prompt(
                "the certificate does not match the trusted fingerprint",
                TrustPolicy::SystemRoots
            )
            .is_changed()
        );
        assert!(prompt("anything", TrustPolicy::Pinned(vec![[0; 32]])).is_changed());
    }
}
