//! TLS for the node's own server, with the certificate reloaded on SIGHUP.
//!
//! The certificate chain and key are PEM files (`--tls-cert`, `--tls-key`), read at
//! start-up, where a bad file stops the node with a sentence naming it, and again on
//! each SIGHUP, where a bad file leaves the certificate in use as it was and says why
//! in the log. A reload changes what new connections get; connections already open
//! keep theirs, so none is dropped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result, bail};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The files of the node's certificate and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The server's TLS configuration, replaced whole on a reload.
#[derive(Debug)]
pub struct Tls {
    files: TlsFiles,
    config: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Reads the certificate and key, or says which file is wrong and how.
    pub fn load(files: TlsFiles) -> Result<Tls> {
        let config = server_config(&files)?;
        Ok(Tls {
            files,
            config: RwLock::new(Arc::new(config)),
        })
    }

    /// What a new connection is served with.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        let config = self
            .config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        tokio_rustls::TlsAcceptor::from(config)
    }

    /// Reads the files again; on failure the certificate in use is kept.
    pub fn reload(&self) -> Result<()> {
        let config = server_config(&self.files)?;
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(config);
        Ok(())
    }
}

fn server_config(files: &TlsFiles) -> Result<ServerConfig> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let chain = certificates(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).with_context(|| {
        format!(
            "--tls-key {}: no PEM private key can be read from it",
            files.key.display()
        )
    })?;
    ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!(
                "--tls-cert {} and --tls-key {} do not make a certificate the node can serve (is the key the certificate's?)",
                files.cert.display(),
                files.key.display()
            )
        })
}

/// Every certificate in a PEM file, refusing a file with none.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("{}: cannot read it", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not a PEM certificate file", path.display()))?;
    if certs.is_empty() {
        bail!("{}: holds no PEM certificate", path.display());
    }
    Ok(certs)
}

/// Reloads `tls` on every SIGHUP, for as long as the node runs. Without TLS a SIGHUP
/// is logged and otherwise ignored (it no longer kills the node).
pub async fn reload_on_sighup(tls: Option<Arc<Tls>>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; the certificate is reloaded only on a restart");
        return;
    };
    while hup.recv().await.is_some() {
        match &tls {
            Some(tls) => match tls.reload() {
                Ok(()) => tracing::info!("SIGHUP: certificate reloaded"),
                Err(e) => tracing::error!("SIGHUP: keeping the certificate in use: {e:#}"),
            },
            None => tracing::info!("SIGHUP: nothing to reload (no --tls-cert)"),
        }
    }
}
