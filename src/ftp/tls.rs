//! TLS for FTPS (rustls): certificate verification against the system
//! roots, pinning a fingerprint the user trusted, and details of the
//! server's certificate so a caller can decide whether to trust it.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

/// What the server's certificate says, for a trust decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    /// SHA-256 of the DER-encoded certificate.
    pub sha256: [u8; 32],
    pub der: Vec<u8>,
}

impl CertificateInfo {
    /// Parse a DER certificate. Fields that cannot be read are described as such.
    pub fn from_der(der: &[u8]) -> CertificateInfo {
        let sha256: [u8; 32] = Sha256::digest(der).into();
        let unreadable = || "(unreadable)".to_string();
        let (subject, issuer, not_before, not_after) =
            match x509_parser::parse_x509_certificate(der) {
                Ok((_, cert)) => (
                    cert.subject().to_string(),
                    cert.issuer().to_string(),
                    cert.validity().not_before.to_string(),
                    cert.validity().not_after.to_string(),
                ),
                Err(_) => (unreadable(), unreadable(), unreadable(), unreadable()),
            };
        CertificateInfo {
            subject,
            issuer,
            not_before,
            not_after,
            sha256,
            der: der.to_vec(),
        }
    }

    /// Lowercase hex without separators, the form `--fingerprint` takes.
    pub fn fingerprint_hex(&self) -> String {
        self.sha256.iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// `AB:CD:…` form, as browsers and `openssl x509 -fingerprint` show it.
    pub fn fingerprint_colon(&self) -> String {
        let parts: Vec<String> = self.sha256.iter().map(|b| format!("{b:02X}")).collect();
        parts.join(":")
    }
}

/// Parse a SHA-256 fingerprint written as hex, with or without colons, in
/// any case, optionally prefixed `sha256:`.
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let text = text
        .strip_prefix("sha256:")
        .or_else(|| text.strip_prefix("SHA256:"))
        .unwrap_or(text);
    let hex: Vec<u8> = text.bytes().filter(|&b| b != b':').collect();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// Which certificates a session accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TrustPolicy {
    /// Certificates that chain to the operating system's roots and name the host.
    #[default]
    SystemRoots,
    /// Exactly the certificates with these SHA-256 fingerprints (a user
    /// trusted them), and nothing else.
    Pinned(Vec<[u8; 32]>),
    /// Anything. Only for a user who asked for it explicitly.
    Insecure,
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for err in &found.errors {
                tracing::warn!("could not load a system root certificate: {err}");
            }
            let (added, ignored) = store.add_parsable_certificates(found.certs);
            tracing::debug!("loaded {added} system root certificates ({ignored} unusable)");
            Arc::new(store)
        })
        .clone()
}

/// Verifies the server's certificate per the session's trust policy and
/// remembers the certificate it saw, so a refusal can show it to the user.
#[derive(Debug)]
pub struct Verifier {
    policy: TrustPolicy,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
    seen: Mutex<Option<CertificateDer<'static>>>,
}

impl Verifier {
    fn new(policy: TrustPolicy) -> Verifier {
        let provider = provider();
        let webpki = match policy {
            TrustPolicy::SystemRoots => {
                WebPkiServerVerifier::builder_with_provider(system_roots(), provider.clone())
                    .build()
                    .ok()
            }
            _ => None,
        };
        Verifier {
            policy,
            webpki,
            algorithms: provider.signature_verification_algorithms,
            seen: Mutex::new(None),
        }
    }

    /// The end-entity certificate of the last handshake, if any.
    pub fn seen(&self) -> Option<CertificateInfo> {
        let seen = self.seen.lock().ok()?;
        seen.as_ref().map(|c| CertificateInfo::from_der(c.as_ref()))
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.clone().into_owned());
        }
        match &self.policy {
            TrustPolicy::Insecure => Ok(ServerCertVerified::assertion()),
            TrustPolicy::Pinned(pins) => {
                let digest: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
                if pins.contains(&digest) {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(rustls::Error::General(
                        "the certificate does not match the trusted fingerprint".into(),
                    ))
                }
            }
            TrustPolicy::SystemRoots => match &self.webpki {
                Some(v) => {
                    v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                }
                None => Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer,
                )),
            },
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// One session's TLS setup. The same config (and so the same session cache)
/// serves the control and every data connection, which is what lets data
/// connections resume the control connection's TLS session — vsftpd and
/// proftpd refuse data connections that do not.
#[derive(Clone)]
pub struct TlsContext {
    pub config: Arc<ClientConfig>,
    pub verifier: Arc<Verifier>,
    pub server_name: ServerName<'static>,
}

impl TlsContext {
    pub fn new(policy: TrustPolicy, host: &str) -> Result<TlsContext, String> {
        let verifier = Arc::new(Verifier::new(policy));
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let server_name = ServerName::try_from(host.to_string())
            .map_err(|e| format!("not a valid TLS server name ({e})"))?;
        Ok(TlsContext {
            config: Arc::new(config),
            verifier,
            server_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_every_common_spelling() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let want = parse_fingerprint(hex).unwrap();
        assert_eq!(want[1], 0x11);
        assert_eq!(want[31], 0xff);
        let colon = hex
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap().to_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(parse_fingerprint(&colon), Some(want));
        assert_eq!(parse_fingerprint(&format!("sha256:{hex}")), Some(want));
        assert_eq!(parse_fingerprint("abcd"), None);
        assert_eq!(parse_fingerprint(&hex.replace('0', "g")), None);
    }

    #[test]
    fn garbage_der_still_gives_a_fingerprint() {
        let info = CertificateInfo::from_der(b"not a certificate");
        assert_eq!(info.subject, "(unreadable)");
        assert_eq!(info.fingerprint_hex().len(), 64);
        assert_eq!(
            parse_fingerprint(&info.fingerprint_colon()),
            Some(info.sha256)
        );
    }
}
