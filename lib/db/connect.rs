//! The database URL -> tokio-postgres settings and a TLS connector (rustls, always verifying).
//!
//! `sslmode=require`, `verify-ca` and `verify-full` all mean TLS with the
//! server certificate verified (against webpki roots, or the PEM CA file in
//! `sslrootcert=PATH` as libpq does) and its host name checked; SNI is sent.
//! This is stricter than libpq's `require`, on purpose: a production URL
//! (Neon's) says `require` and must not accept any certificate.
//! `prefer` and `allow` are refused at start: they fall back to plaintext
//! without saying so. Without `sslmode` the connection is plain only to a
//! loopback host or a Unix socket (a local server); a remote host without
//! `sslmode` is refused, so plaintext is always a choice someone wrote down
//! (`sslmode=disable`). `channel_binding` is left to tokio-postgres, which
//! gets the `tls-server-end-point` binding from tokio-postgres-rustls.

use super::DbError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

pub(crate) enum Tls {
    Off,
    Rustls(MakeRustlsConnect),
}

pub(crate) struct ConnectSettings {
    pub pg: tokio_postgres::Config,
    pub tls: Tls,
}

/// What we take out of the URL before tokio-postgres (which rejects them) sees it.
#[derive(Default)]
struct LibpqOnly {
    root_cert: Option<String>,
    direct_tls: bool,
    sslmode_given: bool,
}

impl ConnectSettings {
    pub fn from_url(url: &str, connect_timeout: Duration) -> Result<Self, DbError> {
        let (url, extra) = strip_libpq_only(url)?;
        let mut pg: tokio_postgres::Config = url
            .parse()
            .map_err(|e| DbError::Config(format!("DATABASE_URL is not usable: {e}")))?;
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(connect_timeout);
        }
        // A peer that vanished without closing (a frozen or migrated function
        // instance, a NAT timeout) otherwise hangs a query for many minutes.
        if pg.get_tcp_user_timeout().is_none() {
            pg.tcp_user_timeout(Duration::from_secs(15));
        }
        if !extra.sslmode_given {
            refuse_remote_without_sslmode(&pg)?;
        }
        let tls = match pg.get_ssl_mode() {
            SslMode::Require => Tls::Rustls(rustls_connector(&extra)?),
            _ => {
                pg.ssl_mode(SslMode::Disable);
                Tls::Off
            }
        };
        Ok(Self { pg, tls })
    }

    /// One connection outside the pool (migrations need a session of their own).
    pub async fn connect(&self) -> Result<(Client, JoinHandle<()>), DbError> {
        match &self.tls {
            Tls::Off => {
                let (client, conn) = self.pg.connect(NoTls).await?;
                Ok((client, tokio::spawn(drive(conn))))
            }
            Tls::Rustls(tls) => {
                let (client, conn) = self.pg.connect(tls.clone()).await?;
                Ok((client, tokio::spawn(drive(conn))))
            }
        }
    }
}

async fn drive<F: std::future::Future<Output = Result<(), tokio_postgres::Error>>>(conn: F) {
    if let Err(e) = conn.await {
        tracing::warn!(error = %e, "database connection closed with an error");
    }
}

fn rustls_connector(extra: &LibpqOnly) -> Result<MakeRustlsConnect, DbError> {
    let mut roots = rustls::RootCertStore::empty();
    match extra.root_cert.as_deref() {
        None | Some("system") => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
                .map_err(|e| DbError::Config(format!("sslrootcert {path}: {e}")))?;
            let (added, _ignored) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(DbError::Config(format!(
                    "sslrootcert {path}: no usable CA certificate in the file"
                )));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Config(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    if extra.direct_tls {
        // Direct TLS (Postgres 17's sslnegotiation=direct) requires this ALPN.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
    }
    Ok(MakeRustlsConnect::new(config))
}

/// Removes `sslrootcert` and normalises `sslmode` in a `postgres://` URL; other forms pass through.
fn strip_libpq_only(url: &str) -> Result<(String, LibpqOnly), DbError> {
    let mut extra = LibpqOnly::default();
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !is_url {
        // libpq's key=value form: only whether sslmode is there matters here.
        extra.sslmode_given = url.split_whitespace().any(|kv| kv.starts_with("sslmode="));
        return Ok((url.to_owned(), extra));
    }
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), extra));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match percent_decode(key).as_str() {
            "sslrootcert" => extra.root_cert = Some(percent_decode(value)),
            "sslmode" => {
                extra.sslmode_given = true;
                let mode = match percent_decode(value).as_str() {
                    "disable" => "disable",
                    mode @ ("allow" | "prefer") => {
                        return Err(DbError::Config(format!(
                            "DATABASE_URL: sslmode={mode} falls back to plaintext silently; \
                             use sslmode=require (TLS, certificate verified) or sslmode=disable (a local server)"
                        )));
                    }
                    "require" | "verify-ca" | "verify-full" => "require",
                    other => {
                        return Err(DbError::Config(format!(
                            "DATABASE_URL: unsupported sslmode {other:?}"
                        )));
                    }
                };
                kept.push(format!("sslmode={mode}"));
            }
            "sslnegotiation" => {
                extra.direct_tls = percent_decode(value) == "direct";
                kept.push(pair.to_owned());
            }
            _ => kept.push(pair.to_owned()),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, extra))
}

/// No sslmode means plaintext, which is only acceptable to this machine.
fn refuse_remote_without_sslmode(pg: &tokio_postgres::Config) -> Result<(), DbError> {
    use tokio_postgres::config::Host;
    let remote_name = pg.get_hosts().iter().find_map(|h| match h {
        Host::Tcp(name) if !is_loopback_name(name) => Some(name.clone()),
        _ => None,
    });
    let remote_addr = pg
        .get_hostaddrs()
        .iter()
        .find(|a| !a.is_loopback())
        .map(|a| a.to_string());
    match remote_addr.or(remote_name) {
        None => Ok(()),
        Some(host) => Err(DbError::Config(format!(
            "DATABASE_URL: no sslmode for the remote host {host}; add sslmode=require \
             (or sslmode=disable to accept plaintext)"
        ))),
    }
}

fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost")
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslrootcert_is_taken_out_and_verify_modes_become_require() {
        let (url, extra) = strip_libpq_only(
            "postgres://u:p@h/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&channel_binding=require",
        )
        .unwrap();
        assert_eq!(
            url,
            "postgres://u:p@h/db?sslmode=require&channel_binding=require"
        );
        assert_eq!(extra.root_cert.as_deref(), Some("/tmp/ca.pem"));
    }

    #[test]
    fn urls_without_tls_settings_are_untouched() {
        let (url, extra) = strip_libpq_only("postgres://postgres@127.0.0.1:5432/postgres").unwrap();
        assert_eq!(url, "postgres://postgres@127.0.0.1:5432/postgres");
        assert!(extra.root_cert.is_none());
        assert!(strip_libpq_only("postgres://h/db?sslmode=bogus").is_err());
    }

    fn refusal(url: &str) -> String {
        match ConnectSettings::from_url(url, Duration::from_secs(5)) {
            Err(DbError::Config(why)) => why,
            Err(other) => panic!("{url}: expected a configuration error, got {other:?}"),
            Ok(_) => panic!("{url}: expected a refusal"),
        }
    }

    #[test]
    fn prefer_and_allow_are_refused_with_one_line() {
        for mode in ["prefer", "allow"] {
            let why = refusal(&format!("postgres://u@127.0.0.1/db?sslmode={mode}"));
            assert!(why.contains(&format!("sslmode={mode}")), "{why}");
            assert!(
                why.contains("sslmode=require") && !why.contains('\n'),
                "{why}"
            );
        }
    }

    #[test]
    fn a_remote_host_without_sslmode_is_refused_and_a_local_one_is_plain() {
        let why = refusal("postgres://u:secret@db.example.com/db");
        assert!(
            why.contains("db.example.com") && !why.contains("secret"),
            "{why}"
        );
        refusal("postgres://u@localhost/db?hostaddr=10.1.2.3");
        refusal("host=db.example.com dbname=x");
        for local in [
            "postgres://u@127.0.0.1:5432/db",
            "postgres://u@localhost/db",
            "postgres://u@[::1]/db",
            "host=/var/run/postgresql dbname=x",
            "postgres://u@db.example.com/db?sslmode=disable",
        ] {
            let s = ConnectSettings::from_url(local, Duration::from_secs(5));
            assert!(matches!(s.map(|s| s.tls), Ok(Tls::Off)), "{local}");
        }
    }

    #[test]
    fn require_means_tls_and_no_sslmode_means_plain() {
        let s =
            ConnectSettings::from_url("postgres://h/db?sslmode=require", Duration::from_secs(5));
        assert!(matches!(s.map(|s| s.tls), Ok(Tls::Rustls(_))));
        let s = ConnectSettings::from_url("postgres://127.0.0.1/db", Duration::from_secs(5));
        assert!(matches!(s.map(|s| s.tls), Ok(Tls::Off)));
    }
}
