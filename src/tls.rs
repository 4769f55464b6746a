//! TLS for both stores, on rustls with the `ring` provider (no OpenSSL).
//!
//! One place reads the register's `tls` files, so every error names the file
//! and the option it came from (never the URL, which may hold a password),
//! and one place decides how a Postgres `sslmode` verifies the server:
//!
//! | `sslmode`     | TLS                         | server certificate                          |
//! |---------------|-----------------------------|---------------------------------------------|
//! | `disable`     | never                       | —                                           |
//! | `prefer`      | when the server offers it   | checked; a failure is logged, not fatal (as libpq: encrypted, not authenticated) |
//! | `require`     | always                      | chain **and** host name (stricter than libpq) |
//! | `verify-ca`   | always                      | chain                                       |
//! | `verify-full` | always                      | chain and host name                         |
//!
//! Without `sslmode` (URL) or `tls.mode`, the mode is `prefer`, or
//! `verify-full` when a CA is given (`tls.ca_file`, `sslrootcert`).

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Once};

use anyhow::{bail, Context};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::register::model::Tls;

/// The crypto provider oubli uses everywhere.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Make `ring` the process-wide default provider. The redis crate builds its
/// `ClientConfig` with `ClientConfig::builder()`, which uses this default.
pub fn install_default_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if rustls::crypto::ring::default_provider()
            .install_default()
            .is_err()
        {
            tracing::debug!("a rustls crypto provider was already installed");
        }
    });
}

/// Read a file named by a TLS option; the error names the option and the path.
fn read(option: &str, path: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {option} {path}"))
}

/// The PEM certificates of a file (a CA bundle or a client chain).
fn certificates(
    option: &str,
    path: &str,
    pem: &[u8],
) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{option} {path} is not valid PEM: {e}"))?;
    if certs.is_empty() {
        bail!("{option} {path} holds no PEM certificate");
    }
    Ok(certs)
}

/// PEM bytes of a CA file, checked to hold at least one usable trust anchor.
pub fn read_ca(option: &str, path: &str) -> anyhow::Result<Vec<u8>> {
    let pem = read(option, path)?;
    root_store_from(option, path, &pem)?;
    Ok(pem)
}

fn root_store_from(option: &str, path: &str, pem: &[u8]) -> anyhow::Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    for (i, cert) in certificates(option, path, pem)?.into_iter().enumerate() {
        store.add(cert).map_err(|e| {
            anyhow::anyhow!(
                "{option} {path}: certificate {} is not a usable trust anchor: {e}",
                i + 1
            )
        })?;
    }
    Ok(store)
}

/// A client certificate chain and its key, for mutual TLS.
pub struct ClientIdentity {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("certs", &self.certs.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Read `client_cert_file` and `client_key_file` (both or neither).
pub fn read_client_identity(
    cert_option: &str,
    cert_file: Option<&str>,
    key_option: &str,
    key_file: Option<&str>,
) -> anyhow::Result<Option<ClientIdentity>> {
    let (cert_path, key_path) = match (cert_file, key_file) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        (Some(_), None) => bail!("{cert_option} is set but {key_option} is not: give both"),
        (None, Some(_)) => bail!("{key_option} is set but {cert_option} is not: give both"),
    };
    let cert_pem = read(cert_option, cert_path)?;
    let certs = certificates(cert_option, cert_path, &cert_pem)?;
    let key_pem = read(key_option, key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        anyhow::anyhow!("{key_option} {key_path} holds no usable PEM private key: {e}")
    })?;
    Ok(Some(ClientIdentity {
        cert_pem,
        key_pem,
        certs,
        key,
    }))
}

/// The system trust store (`SSL_CERT_FILE`, `SSL_CERT_DIR` or the
/// distribution's bundle), as the redis crate reads it.
fn system_roots() -> anyhow::Result<RootCertStore> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(loaded.certs);
    if added == 0 {
        match loaded.errors.first() {
            Some(e) => bail!("the system trust store could not be read ({e}); set tls.ca_file"),
            None => bail!("the system trust store is empty; set tls.ca_file"),
        }
    }
    Ok(store)
}

/// A Postgres `sslmode`, libpq's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<SslMode> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            "allow" => bail!(
                "sslmode \"allow\" is not supported (it tries without TLS first): use prefer or stricter"
            ),
            other => bail!(
                "unknown sslmode {other:?} (expected disable, prefer, require, verify-ca or verify-full)"
            ),
        })
    }
}

/// Where the server's certificate is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    System,
    /// A PEM file, and the option it was given by (`tls.ca_file` or `sslrootcert`).
    File {
        option: &'static str,
        path: String,
    },
}

impl fmt::Display for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Roots::System => f.write_str("the system trust store"),
            Roots::File { option, path } => write!(f, "{option} {path}"),
        }
    }
}

/// How one Postgres connection uses TLS: the URL's libpq parameters merged
/// with the register's `tls` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTls {
    pub mode: SslMode,
    pub roots: Roots,
    /// (option, path) of the client certificate and key.
    pub client_cert: Option<(&'static str, String)>,
    pub client_key: Option<(&'static str, String)>,
}

/// Split libpq's TLS parameters (`sslmode`, `sslrootcert`, `sslcert`,
/// `sslkey`) out of a Postgres URL — tokio-postgres knows only
/// `disable|prefer|require` and none of the files — and merge them with the
/// register's `tls`. Returns the URL left for tokio-postgres. A string that
/// is not a URL (`host=… user=…`) is passed through: only the register's
/// `tls` applies to it.
pub fn pg_split(url: &str, tls: Option<&Tls>) -> anyhow::Result<(String, PgTls)> {
    let mut url_mode = None;
    let mut url_root = None;
    let mut url_cert = None;
    let mut url_key = None;
    let rest = match url::Url::parse(url) {
        Ok(mut u) if matches!(u.scheme(), "postgres" | "postgresql") => {
            let mut kept = Vec::new();
            for (k, v) in u.query_pairs() {
                match k.as_ref() {
                    "sslmode" => url_mode = Some(v.parse::<SslMode>()?),
                    "sslrootcert" => url_root = Some(v.into_owned()),
                    "sslcert" => url_cert = Some(v.into_owned()),
                    "sslkey" => url_key = Some(v.into_owned()),
                    _ => kept.push((k.into_owned(), v.into_owned())),
                }
            }
            if kept.is_empty() {
                u.set_query(None);
            } else {
                u.query_pairs_mut().clear().extend_pairs(kept);
            }
            u.to_string()
        }
        _ => url.to_string(),
    };

    let tls_mode = match tls.and_then(|t| t.mode.as_deref()) {
        Some(m) => Some(
            m.parse::<SslMode>()
                .with_context(|| format!("tls.mode = {m:?}"))?,
        ),
        None => None,
    };
    let mode = match (url_mode, tls_mode) {
        (Some(a), Some(b)) if a != b => {
            bail!("sslmode={a} in the URL and tls.mode = \"{b}\" disagree: keep one")
        }
        (a, b) => a.or(b),
    };

    let pick = |url_opt: &'static str,
                url_val: Option<String>,
                tls_opt: &'static str,
                tls_val: Option<&String>|
     -> anyhow::Result<Option<(&'static str, String)>> {
        match (url_val, tls_val) {
            (Some(a), Some(b)) if &a != b => {
                bail!("{url_opt} in the URL and {tls_opt} name different files: keep one")
            }
            (Some(a), _) => Ok(Some((url_opt, a))),
            (None, Some(b)) => Ok(Some((tls_opt, b.clone()))),
            (None, None) => Ok(None),
        }
    };
    let root = pick(
        "sslrootcert",
        url_root,
        "tls.ca_file",
        tls.and_then(|t| t.ca_file.as_ref()),
    )?;
    let client_cert = pick(
        "sslcert",
        url_cert,
        "tls.client_cert_file",
        tls.and_then(|t| t.client_cert_file.as_ref()),
    )?;
    let client_key = pick(
        "sslkey",
        url_key,
        "tls.client_key_file",
        tls.and_then(|t| t.client_key_file.as_ref()),
    )?;

    let has_root = root.is_some();
    let roots = match root {
        // libpq ≥ 16: `sslrootcert=system` is the system store and means verify-full.
        Some((_, path)) if path == "system" => {
            if matches!(
                mode,
                Some(SslMode::Disable | SslMode::Prefer | SslMode::VerifyCa)
            ) {
                bail!("sslrootcert=system needs sslmode=verify-full (or require)");
            }
            Roots::System
        }
        Some((option, path)) => Roots::File { option, path },
        None => Roots::System,
    };
    let mode = mode.unwrap_or(if has_root {
        SslMode::VerifyFull
    } else {
        SslMode::Prefer
    });
    Ok((
        rest,
        PgTls {
            mode,
            roots,
            client_cert,
            client_key,
        },
    ))
}

impl PgTls {
    /// The rustls configuration for this connection; `None` for `disable`.
    /// Files are read here, so a missing one is reported before dialling.
    pub fn client_config(&self) -> anyhow::Result<Option<ClientConfig>> {
        if self.mode == SslMode::Disable {
            return Ok(None);
        }
        let provider = provider();
        let roots = match &self.roots {
            Roots::System => system_roots(),
            Roots::File { option, path } => {
                let pem = read(option, path)?;
                root_store_from(option, path, &pem)
            }
        };
        let roots = match (roots, self.mode) {
            (Ok(r), _) => Some(r),
            // prefer: no trust store is not fatal; the session is only encrypted.
            (Err(e), SslMode::Prefer) if self.roots == Roots::System => {
                tracing::warn!(error = %e, "sslmode=prefer without a trust store");
                None
            }
            (Err(e), _) => return Err(e),
        };
        let identity = read_client_identity(
            self.client_cert
                .as_ref()
                .map_or("tls.client_cert_file", |c| c.0),
            self.client_cert.as_ref().map(|c| c.1.as_str()),
            self.client_key
                .as_ref()
                .map_or("tls.client_key_file", |k| k.0),
            self.client_key.as_ref().map(|k| k.1.as_str()),
        )?;

        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("the rustls provider offers no TLS version")?;
        let webpki = |roots: RootCertStore| {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .context("cannot build the certificate verifier")
        };
        let builder = match (self.mode, roots) {
            (SslMode::Require | SslMode::VerifyFull, Some(roots)) => {
                builder.with_webpki_verifier(webpki(roots)?)
            }
            (SslMode::VerifyCa, Some(roots)) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly {
                    inner: webpki(roots)?,
                })),
            (SslMode::Prefer, roots) => {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(Opportunistic {
                        inner: roots.map(webpki).transpose()?,
                        provider: provider.clone(),
                    }))
            }
            (mode, _) => bail!("sslmode={mode} needs a trust store"),
        };
        let mut config = match identity {
            Some(id) => builder
                .with_client_auth_cert(id.certs, id.key)
                .context("the client certificate and key do not make a usable pair")?,
            None => builder.with_no_client_auth(),
        };
        // What libpq 17 sends; required by servers for `sslnegotiation=direct`.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Some(config))
    }

    /// How the server was checked, for error messages.
    pub fn describe(&self) -> String {
        match self.mode {
            SslMode::Disable => "sslmode=disable".to_string(),
            SslMode::Prefer => {
                format!("sslmode=prefer, certificate checked against {}", self.roots)
            }
            SslMode::VerifyCa => format!("sslmode=verify-ca against {}", self.roots),
            m => format!("sslmode={m}: chain and host name against {}", self.roots),
        }
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not
/// checked (the only error ignored is the name mismatch, which webpki
/// reports after the chain has been verified).
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `prefer`, as libpq means it: the session is encrypted whatever the
/// certificate; a certificate that does not verify is logged (to the log
/// file), so the operator can see the server is not authenticated. The
/// handshake signatures are still checked against the presented key.
#[derive(Debug)]
struct Opportunistic {
    inner: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Opportunistic {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let outcome = match &self.inner {
            Some(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map_err(|e| e.to_string()),
            None => Err("no trust store".to_string()),
        };
        if let Err(reason) = outcome {
            tracing::warn!(
                server = %server_name.to_str(),
                %reason,
                "sslmode=prefer: encrypted, but the server's certificate does not verify \
                 (use sslmode=verify-full and tls.ca_file to authenticate it)"
            );
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(mode: Option<&str>, ca: Option<&str>) -> Tls {
        Tls {
            mode: mode.map(str::to_string),
            ca_file: ca.map(str::to_string),
            client_cert_file: None,
            client_key_file: None,
        }
    }

    #[test]
    fn libpq_parameters_leave_the_url_and_the_rest_stays() {
        let (rest, t) = pg_split(
            "postgresql://u:p%40ss@db.example:5432/app?sslmode=verify-ca&application_name=x&sslrootcert=/ca.pem",
            None,
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgresql://u:p%40ss@db.example:5432/app?application_name=x"
        );
        assert_eq!(t.mode, SslMode::VerifyCa);
        assert_eq!(
            t.roots,
            Roots::File {
                option: "sslrootcert",
                path: "/ca.pem".into()
            }
        );
        let (rest, _) = pg_split("postgres://h/db?sslmode=disable", None).unwrap();
        assert_eq!(rest, "postgres://h/db");
    }

    #[test]
    fn default_is_prefer_or_verify_full_with_a_ca() {
        let (_, t) = pg_split("postgres://h/db", None).unwrap();
        assert_eq!((t.mode, t.roots), (SslMode::Prefer, Roots::System));
        let (_, t) = pg_split("postgres://h/db", Some(&tls(None, Some("/ca.pem")))).unwrap();
        assert_eq!(t.mode, SslMode::VerifyFull);
        let (_, t) = pg_split("postgres://h/db?sslrootcert=system", None).unwrap();
        assert_eq!((t.mode, t.roots), (SslMode::VerifyFull, Roots::System));
        assert!(pg_split("postgres://h/db?sslrootcert=system&sslmode=prefer", None).is_err());
    }

    #[test]
    fn url_and_register_must_agree() {
        let (_, t) = pg_split("postgres://h/db", Some(&tls(Some("require"), None))).unwrap();
        assert_eq!(t.mode, SslMode::Require);
        let (_, t) = pg_split(
            "postgres://h/db?sslmode=require",
            Some(&tls(Some("require"), None)),
        )
        .unwrap();
        assert_eq!(t.mode, SslMode::Require);
        let e = pg_split(
            "postgres://u:secret@h/db?sslmode=disable",
            Some(&tls(Some("verify-full"), None)),
        )
        .unwrap_err();
        assert!(e.to_string().contains("disagree"), "{e}");
        assert!(!format!("{e:#}").contains("secret"));
        let e = pg_split("postgres://h/db?sslmode=allow", None).unwrap_err();
        assert!(e.to_string().contains("allow"), "{e}");
        assert!(pg_split("postgres://h/db", Some(&tls(Some("verify_full"), None))).is_err());
    }

    #[test]
    fn missing_files_are_named() {
        let t = PgTls {
            mode: SslMode::VerifyFull,
            roots: Roots::File {
                option: "tls.ca_file",
                path: "/nonexistent/ca.pem".into(),
            },
            client_cert: None,
            client_key: None,
        };
        let e = t.client_config().unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot read tls.ca_file /nonexistent/ca.pem"),
            "{e}"
        );
        let e = read_client_identity(
            "tls.client_cert_file",
            Some("/x.pem"),
            "tls.client_key_file",
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("give both"), "{e}");
    }

    #[test]
    fn disable_needs_no_config() {
        let (_, t) = pg_split("postgres://h/db?sslmode=disable", None).unwrap();
        assert!(t.client_config().unwrap().is_none());
    }
}
