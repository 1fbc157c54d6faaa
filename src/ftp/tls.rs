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

    /// Issued by itself: subject and issuer are the same name.
    pub fn is_self_signed(&self) -> bool {
        self.subject == self.issuer && self.subject != "(unreadable)"
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
                        "the server's certificate does not match the fingerprint you trusted"
                            .into(),
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

/// Why the server's certificate was refused, in words, as one clause that
/// starts "the server's certificate …". `cert` is the certificate when the
/// handshake got that far (it tells a self-signed certificate from one of
/// an unknown authority, and gives dates).
pub fn certificate_problem(e: &rustls::CertificateError, cert: Option<&CertificateInfo>) -> String {
    use rustls::CertificateError as C;
    let self_signed = cert.is_some_and(CertificateInfo::is_self_signed);
    let is = match e {
        C::UnknownIssuer if self_signed => "is self-signed".to_string(),
        C::UnknownIssuer => "is issued by an unknown authority".to_string(),
        C::Expired | C::ExpiredContext { .. } => match cert {
            Some(c) => format!("expired on {}", c.not_after),
            None => "has expired".to_string(),
        },
        C::NotValidYet | C::NotValidYetContext { .. } => match cert {
            Some(c) => format!("is not valid yet (valid from {})", c.not_before),
            None => "is not valid yet (check this computer's clock too)".to_string(),
        },
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            let expected = expected.to_str();
            // webpki writes them as `DnsName("a.example")`, `IpAddress(1.2.3.4)`.
            let names: Vec<&str> = presented
                .iter()
                .filter_map(|p| {
                    let inner = p.split_once('(')?.1.strip_suffix(')')?;
                    Some(inner.trim_matches('"'))
                })
                .collect();
            if names.is_empty() {
                format!("is for another name, not {expected}")
            } else {
                format!("is for another name ({}), not {expected}", names.join(", "))
            }
        }
        C::NotValidForName => "is for another name".to_string(),
        C::Revoked => "has been revoked by its issuer".to_string(),
        C::UnknownRevocationStatus => {
            "has a revocation status that could not be checked".to_string()
        }
        C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
            "could not be checked: its issuer's revocation list has expired".to_string()
        }
        C::BadEncoding => "is malformed (it cannot be decoded)".to_string(),
        C::BadSignature => "has an invalid signature (it is damaged or forged)".to_string(),
        // webpki reports these while it looks for an issuer among the
        // system's authorities whose keys differ from the certificate's.
        #[allow(deprecated)]
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. }
            if self_signed =>
        {
            "is self-signed".to_string()
        }
        #[allow(deprecated)]
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "is issued by an unknown authority, or signed with an algorithm Ferry does not accept"
                .to_string()
        }
        C::UnhandledCriticalExtension => {
            "has a critical extension Ferry does not understand".to_string()
        }
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "is not meant for servers (its key usage does not allow it)".to_string()
        }
        C::InvalidOcspResponse => {
            "came with an invalid revocation status (OCSP) response".to_string()
        }
        C::ApplicationVerificationFailure => "was refused by the verification policy".to_string(),
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(e) => webpki_problem(e, self_signed),
            None => format!("could not be verified ({other})"),
        },
        // rustls may add reasons; say what it says.
        other => format!("could not be verified ({other})"),
    };
    format!("the server's certificate {is}")
}

/// The verification failures rustls passes through from webpki unnamed.
// The deprecated variants are still made by older paths; each gets words.
#[allow(deprecated)]
fn webpki_problem(e: &webpki::Error, self_signed: bool) -> String {
    use webpki::Error as W;
    match e {
        // openssl's default `req -x509` makes CA certificates, so most
        // self-signed server certificates fail this way.
        W::CaUsedAsEndEntity if self_signed => "is self-signed".to_string(),
        W::CaUsedAsEndEntity => "is an authority's certificate, not a server's".to_string(),
        W::EndEntityUsedAsCa => {
            "is issued by a server's certificate, not by an authority".to_string()
        }
        W::CertDistrusted => "is issued by an authority that is no longer trusted".to_string(),
        W::UnknownIssuer => "is issued by an unknown authority".to_string(),
        W::CertExpired { .. } | W::InvalidCertValidity => "has expired".to_string(),
        W::CertNotValidYet { .. } => "is not valid yet".to_string(),
        W::CertNotValidForName(_) => "is for another name".to_string(),
        W::CertRevoked => "has been revoked by its issuer".to_string(),
        W::PathLenConstraintViolated
        | W::NameConstraintViolation
        | W::InvalidNetworkMaskConstraint
        | W::MalformedNameConstraint
        | W::MaximumNameConstraintComparisonsExceeded
        | W::MaximumPathBuildCallsExceeded
        | W::MaximumPathDepthExceeded
        | W::MaximumSignatureChecksExceeded => {
            "has a chain of authorities that breaks their rules".to_string()
        }
        W::RequiredEkuNotFound | W::RequiredEkuNotFoundContext(_) | W::EmptyEkuExtension => {
            "is not meant for servers (its key usage does not allow it)".to_string()
        }
        W::InvalidSignatureForPublicKey | W::SignatureAlgorithmMismatch => {
            "has an invalid signature (it is damaged or forged)".to_string()
        }
        W::UnsupportedSignatureAlgorithm
        | W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKey
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "is signed with an algorithm Ferry does not accept".to_string()
        }
        W::UnsupportedCriticalExtension => {
            "has a critical extension Ferry does not understand".to_string()
        }
        W::UnsupportedCertVersion => "uses a certificate version Ferry does not accept".to_string(),
        W::UnsupportedNameType => "names the server in a form Ferry does not accept".to_string(),
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::MalformedDnsIdentifier
        | W::MalformedExtensions
        | W::ExtensionValueInvalid
        | W::InvalidSerialNumber => "is malformed (it cannot be decoded)".to_string(),
        W::UnknownRevocationStatus
        | W::CrlExpired { .. }
        | W::IssuerNotCrlSigner
        | W::InvalidCrlNumber
        | W::InvalidCrlSignatureForPublicKey
        | W::UnsupportedCrlIssuingDistributionPoint
        | W::UnsupportedCrlVersion
        | W::UnsupportedDeltaCrl
        | W::UnsupportedIndirectCrl
        | W::UnsupportedRevocationReason
        | W::UnsupportedRevocationReasonsPartitioning
        | W::UnsupportedCrlSignatureAlgorithm
        | W::UnsupportedCrlSignatureAlgorithmContext(_)
        | W::UnsupportedCrlSignatureAlgorithmForPublicKey
        | W::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_) => {
            "has a revocation status that could not be checked".to_string()
        }
        // webpki may add reasons; say what it says.
        other => format!("could not be verified ({other})"),
    }
}

/// A TLS failure other than an untrusted certificate, in words.
pub fn tls_problem(e: &rustls::Error) -> String {
    use rustls::AlertDescription as A;
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(c) => certificate_problem(c, None),
        E::AlertReceived(alert) => match alert {
            A::HandshakeFailure | A::InsufficientSecurity | A::IllegalParameter => {
                "the server and Ferry have no TLS version or cipher in common (Ferry speaks TLS 1.2 and 1.3)".to_string()
            }
            A::ProtocolVersion => {
                "the server does not speak TLS 1.2 or 1.3, the versions Ferry accepts".to_string()
            }
            A::CertificateRequired | A::NoCertificate | A::BadCertificate => {
                "the server asks for a client certificate, which Ferry does not send".to_string()
            }
            A::UnrecognisedName => {
                "the server does not know the host name Ferry asked for; connect with the name on its certificate".to_string()
            }
            A::AccessDenied => "the server refused the connection (access denied)".to_string(),
            other => format!("the server ended the handshake (TLS alert {other:?})"),
        },
        E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. }
        | E::InvalidMessage(_) => {
            "the server did not answer in TLS; check whether it wants explicit TLS (usually port 21) or implicit TLS (usually port 990)".to_string()
        }
        E::NoCertificatesPresented => "the server presented no certificate".to_string(),
        E::UnsupportedNameType => "the host name cannot be checked against a certificate".to_string(),
        E::DecryptError | E::EncryptError | E::PeerSentOversizedRecord => {
            "the encrypted data was damaged on the way (or the server's TLS is broken)".to_string()
        }
        E::PeerIncompatible(_) => {
            "the server's TLS is incompatible with Ferry's (no common version, cipher or extension)".to_string()
        }
        E::PeerMisbehaved(_) => "the server broke the TLS protocol".to_string(),
        E::InvalidCertRevocationList(_) => "a certificate revocation list is invalid".to_string(),
        E::FailedToGetCurrentTime => {
            "this computer's clock could not be read to check the certificate".to_string()
        }
        E::FailedToGetRandomBytes => {
            "this computer gave no random numbers for the encryption".to_string()
        }
        E::General(text) => text.clone(),
        other => format!("the TLS handshake failed ({other})"),
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

    fn cert(subject: &str, issuer: &str) -> CertificateInfo {
        CertificateInfo {
            subject: subject.into(),
            issuer: issuer.into(),
            not_before: "Jan  1 00:00:00 2020 +00:00".into(),
            not_after: "Jan  1 00:00:00 2021 +00:00".into(),
            sha256: [0; 32],
            der: Vec::new(),
        }
    }

    /// A word like `UnknownIssuer` or `CaUsedAsEndEntity`: a library's
    /// name for something, which must not reach the user.
    fn has_identifier(text: &str) -> bool {
        text.split(|c: char| !c.is_alphanumeric()).any(|w| {
            let b = w.as_bytes();
            b.windows(2)
                .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase())
        })
    }

    #[test]
    fn every_certificate_error_is_put_in_words() {
        use rustls::CertificateError as C;
        use rustls::OtherError;
        use rustls::pki_types::UnixTime;
        let own = cert("CN=ftp.example.com", "CN=ftp.example.com");
        let issued = cert("CN=ftp.example.com", "CN=Some CA");
        let webpki = |e: webpki::Error| C::Other(OtherError(Arc::new(e)));
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000));
        let name = ServerName::try_from("ftp.example.com").unwrap();
        #[allow(deprecated)]
        let table: Vec<(C, Option<&CertificateInfo>, &str)> = vec![
            (C::UnknownIssuer, Some(&own), "is self-signed"),
            (
                C::UnknownIssuer,
                Some(&issued),
                "is issued by an unknown authority",
            ),
            (C::UnknownIssuer, None, "is issued by an unknown authority"),
            (
                webpki(webpki::Error::CaUsedAsEndEntity),
                Some(&own),
                "is self-signed",
            ),
            (
                webpki(webpki::Error::CaUsedAsEndEntity),
                Some(&issued),
                "is an authority's certificate, not a server's",
            ),
            (C::Expired, Some(&own), "expired on Jan  1 00:00:00 2021"),
            (
                C::ExpiredContext {
                    time,
                    not_after: time,
                },
                None,
                "has expired",
            ),
            (
                C::NotValidYet,
                Some(&own),
                "is not valid yet (valid from Jan  1",
            ),
            (
                C::NotValidYetContext {
                    time,
                    not_before: time,
                },
                None,
                "is not valid yet",
            ),
            (C::NotValidForName, None, "is for another name"),
            (
                C::NotValidForNameContext {
                    expected: name,
                    presented: vec!["DnsName(\"other.example.org\")".into()],
                },
                Some(&issued),
                "is for another name (other.example.org), not ftp.example.com",
            ),
            (C::Revoked, None, "has been revoked"),
            (C::UnknownRevocationStatus, None, "revocation status"),
            (
                C::ExpiredRevocationList,
                None,
                "revocation list has expired",
            ),
            (C::BadEncoding, None, "is malformed"),
            (C::BadSignature, None, "has an invalid signature"),
            (
                C::UnsupportedSignatureAlgorithm,
                None,
                "an algorithm Ferry does not accept",
            ),
            (C::UnhandledCriticalExtension, None, "a critical extension"),
            (C::InvalidPurpose, None, "is not meant for servers"),
            (C::InvalidOcspResponse, None, "invalid revocation status"),
            (
                C::ApplicationVerificationFailure,
                None,
                "refused by the verification policy",
            ),
            (
                webpki(webpki::Error::EndEntityUsedAsCa),
                None,
                "issued by a server's certificate",
            ),
            (
                webpki(webpki::Error::CertDistrusted),
                None,
                "no longer trusted",
            ),
            (
                webpki(webpki::Error::PathLenConstraintViolated),
                None,
                "chain of authorities",
            ),
            (
                webpki(webpki::Error::NameConstraintViolation),
                None,
                "chain of authorities",
            ),
            (
                webpki(webpki::Error::EmptyEkuExtension),
                None,
                "is not meant for servers",
            ),
            (
                webpki(webpki::Error::UnsupportedCertVersion),
                None,
                "certificate version",
            ),
            (
                webpki(webpki::Error::UnsupportedCriticalExtension),
                None,
                "a critical extension",
            ),
            (
                webpki(webpki::Error::MalformedExtensions),
                None,
                "is malformed",
            ),
            (
                webpki(webpki::Error::InvalidSerialNumber),
                None,
                "is malformed",
            ),
            (
                webpki(webpki::Error::SignatureAlgorithmMismatch),
                None,
                "invalid signature",
            ),
            (
                webpki(webpki::Error::UnsupportedNameType),
                None,
                "names the server in a form",
            ),
            (
                webpki(webpki::Error::UnsupportedDeltaCrl),
                None,
                "revocation status",
            ),
        ];
        for (error, cert, words) in table {
            let text = certificate_problem(&error, cert);
            assert!(text.starts_with("the server's certificate "), "{text:?}");
            assert!(text.contains(words), "{error:?}: {text:?} lacks {words:?}");
            assert!(!has_identifier(&text), "{error:?}: {text:?}");
        }
    }

    #[test]
    fn tls_failures_other_than_the_certificate_are_put_in_words() {
        use rustls::{AlertDescription as A, Error as E, PeerIncompatible, PeerMisbehaved};
        let table: Vec<(E, &str)> = vec![
            (
                E::AlertReceived(A::HandshakeFailure),
                "no TLS version or cipher in common",
            ),
            (
                E::AlertReceived(A::ProtocolVersion),
                "does not speak TLS 1.2 or 1.3",
            ),
            (
                E::AlertReceived(A::CertificateRequired),
                "client certificate",
            ),
            (
                E::AlertReceived(A::UnrecognisedName),
                "does not know the host name",
            ),
            (E::AlertReceived(A::AccessDenied), "access denied"),
            (E::AlertReceived(A::InternalError), "ended the handshake"),
            (
                E::InappropriateMessage {
                    expect_types: vec![],
                    got_type: rustls::ContentType::Alert,
                },
                "did not answer in TLS",
            ),
            (E::NoCertificatesPresented, "presented no certificate"),
            (E::DecryptError, "damaged on the way"),
            (
                E::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon),
                "incompatible",
            ),
            (
                E::PeerMisbehaved(PeerMisbehaved::TooManyEmptyFragments),
                "broke the TLS protocol",
            ),
            (E::FailedToGetCurrentTime, "clock"),
            (
                E::InvalidCertificate(rustls::CertificateError::Revoked),
                "the server's certificate has been revoked",
            ),
            (E::General("said this".into()), "said this"),
        ];
        for (error, words) in table {
            let text = tls_problem(&error);
            assert!(text.contains(words), "{error:?}: {text:?} lacks {words:?}");
            if !matches!(error, E::AlertReceived(A::InternalError)) {
                assert!(!has_identifier(&text), "{error:?}: {text:?}");
            }
        }
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
