//! The node's configuration: flags, a TOML file, or both (flags win).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use pacta_core::{MemberCode, Roster, SecretKey};
use reqwest::Url;
use serde::Deserialize;

/// How often a node pulls from each peer when all is well.
pub const DEFAULT_PULL_INTERVAL: Duration = Duration::from_secs(5);
/// How often a node signs a checkpoint of new heads and asks its peers to cosign it.
pub const DEFAULT_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(2);

/// Everything `run` needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub roster: Arc<Roster>,
    pub member: MemberCode,
    pub data: PathBuf,
    pub peers: Vec<Url>,
    pub pull_interval: Duration,
    /// The node key, when the roster lists one for this member.
    pub node_key: Option<Arc<SecretKey>>,
    pub checkpoint_interval: Duration,
    /// How deeply the store is checked at start-up.
    pub check_store: crate::store::Check,
    /// Entries per second per client address (0: no limit).
    pub write_rate: u32,
    /// Expensive reads per second per client address (0: no limit).
    pub read_rate: u32,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most event streams open at once.
    pub max_streams: usize,
    /// One client address may hold at most 1/`address_share` of each shared pool.
    pub address_share: usize,
    /// Bytes kept free on the store's filesystem: writes are refused below it.
    pub store_reserve: u64,
    /// `/readyz` answers 503 while the node lags more entries than this behind half
    /// its peers or more.
    pub ready_lag: u64,
    /// The certificate and key the node serves HTTPS with, if it does.
    pub tls: Option<crate::tls::TlsFiles>,
    /// Roots trusted for peers besides the system's (`--ca`).
    pub ca: Vec<reqwest::Certificate>,
    /// Reverse proxies whose `Forwarded` or `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Default for [`Config::ready_lag`]: about a second of a busy network's traffic.
pub const DEFAULT_READY_LAG: u64 = 1000;

/// The config file: any of the command-line flags, by the same names.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub roster: Option<PathBuf>,
    pub member: Option<String>,
    pub data: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub peer: Option<Vec<String>>,
    pub pull_interval_ms: Option<u64>,
    pub node_key: Option<PathBuf>,
    pub checkpoint_interval_ms: Option<u64>,
    pub check_store: Option<bool>,
    pub write_rate: Option<u32>,
    pub read_rate: Option<u32>,
    pub max_connections: Option<usize>,
    pub max_streams: Option<usize>,
    pub address_share: Option<usize>,
    pub store_reserve_mib: Option<u64>,
    pub ready_lag: Option<u64>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub ca: Option<PathBuf>,
    pub trusted_proxy: Option<Vec<String>>,
}

impl FileConfig {
    /// Reads the config file. Its relative paths are relative to the file's folder, not
    /// to the working directory, so that a service manager and a shell read it alike.
    pub fn load(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let mut file: FileConfig = toml::from_str(&text)
            .with_context(|| format!("{} is not a valid node config", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        for p in [
            &mut file.roster,
            &mut file.data,
            &mut file.node_key,
            &mut file.tls_cert,
            &mut file.tls_key,
            &mut file.ca,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(file)
    }
}

impl Config {
    /// Builds the config. Peers default to every other member's node URL in the roster.
    pub fn new(
        roster: Roster,
        member: MemberCode,
        data: PathBuf,
        peers: &[String],
        pull_interval: Duration,
    ) -> Result<Config> {
        if roster.member(member).is_none() {
            bail!(
                "{member} is not a member of network {}",
                roster.network_name()
            );
        }
        let peers: Vec<Url> = if peers.is_empty() {
            roster
                .members()
                .filter(|m| m.code != member)
                .map(|m| m.node.clone())
                .collect()
        } else {
            peers
                .iter()
                .map(|p| {
                    let url =
                        Url::parse(p).with_context(|| format!("--peer {p:?} is not a URL"))?;
                    if !matches!(url.scheme(), "http" | "https") {
                        bail!("--peer {p:?} is not an http:// or https:// URL");
                    }
                    Ok(url)
                })
                .collect::<Result<_>>()?
        };
        // `Url::join("v1/heads")` replaces the last path segment unless the path ends in
        // '/', so a peer at https://host/pacta must be https://host/pacta/ here.
        let peers = peers
            .into_iter()
            .map(|mut url: Url| {
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                url
            })
            .collect();
        if pull_interval.is_zero() {
            bail!("the pull interval must be more than 0 ms");
        }
        Ok(Config {
            roster: Arc::new(roster),
            member,
            data,
            peers,
            pull_interval,
            node_key: None,
            checkpoint_interval: DEFAULT_CHECKPOINT_INTERVAL,
            check_store: crate::store::Check::Fast,
            write_rate: crate::limits::DEFAULT_WRITE_RATE,
            read_rate: crate::limits::DEFAULT_READ_RATE,
            max_connections: crate::serve::DEFAULT_MAX_CONNECTIONS,
            max_streams: crate::limits::DEFAULT_MAX_STREAMS,
            address_share: crate::limits::DEFAULT_SHARE,
            store_reserve: crate::store::room::DEFAULT_RESERVE,
            ready_lag: DEFAULT_READY_LAG,
            tls: None,
            ca: Vec::new(),
            trusted_proxies: Vec::new(),
        })
    }

    /// Sets the node key, which must be the one the roster lists for this member.
    pub fn with_node_key(mut self, key: SecretKey) -> Result<Config> {
        let listed = self.roster.member(self.member).and_then(|m| m.node_key);
        match listed {
            None => bail!(
                "the roster lists no node_key for {}; a node key is only used when the roster names it",
                self.member
            ),
            Some(k) if k != key.public() => bail!(
                "the node key's public key is {}, but the roster lists {k} as {}'s node key",
                key.public(),
                self.member
            ),
            Some(_) => {}
        }
        self.node_key = Some(Arc::new(key));
        Ok(self)
    }

    pub fn with_checkpoint_interval(mut self, interval: Duration) -> Config {
        self.checkpoint_interval = interval;
        self
    }

    /// Refuses to run without the node key the roster lists: such a node would silently
    /// stop witnessing.
    pub fn check_node_key(&self) -> Result<()> {
        let listed = self.roster.member(self.member).and_then(|m| m.node_key);
        if listed.is_some() && self.node_key.is_none() {
            bail!(
                "the roster lists a node_key for {}; give the node its secret key with --node-key FILE",
                self.member
            );
        }
        Ok(())
    }
}

/// Reads a secret key file, refusing one that others can read, as ssh does.
pub fn read_node_key(path: &Path) -> Result<SecretKey> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read node key file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "{path}: permissions {mode:04o} are too open; a node key must be readable only by its owner (run: chmod 600 {path})",
                path = path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read node key file {}", path.display()))?;
    SecretKey::from_file_text(&text)
        .with_context(|| format!("{} is not a Pacta secret key file", path.display()))
}

/// The certificates of a `--ca` file (PEM, one or more), as roots for peers.
pub fn load_ca(path: &Path) -> Result<Vec<reqwest::Certificate>> {
    crate::tls::certificates(path)?
        .iter()
        .map(|der| {
            reqwest::Certificate::from_der(der).with_context(|| {
                format!("--ca {}: a certificate in it is not usable", path.display())
            })
        })
        .collect()
}

pub fn load_roster(path: &Path) -> Result<Roster> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read roster {}", path.display()))?;
    Roster::from_toml(&text).with_context(|| format!("{} is not a valid roster", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_a_config_file_are_relative_to_the_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            "roster = \"roster.toml\"\ndata = \"store/FR\"\nnode_key = \"/etc/pacta/FR.node.key\"\n",
        )
        .expect("writing the config");
        let file = FileConfig::load(&path).expect("a valid config");
        assert_eq!(file.roster, Some(dir.path().join("roster.toml")));
        assert_eq!(file.data, Some(dir.path().join("store/FR")));
        assert_eq!(file.node_key, Some(PathBuf::from("/etc/pacta/FR.node.key")));
        std::fs::write(&path, "roster = 3\n").expect("writing the config");
        let err = FileConfig::load(&path).expect_err("a number is not a path");
        assert!(
            format!("{err:#}").contains("is not a valid node config"),
            "{err:#}"
        );
    }

    #[test]
    fn the_configuration_never_shows_its_node_key() {
        let seed = [7u8; 32];
        let node_key = pacta_core::SecretKey::from_seed(&seed);
        let roster = pacta_core::Roster::from_toml(&format!(
            "network = \"t\"\n[[member]]\ncode = \"FR\"\nname = \"F\"\nkey = \"{}\"\nnode = \"https://fr.example\"\nprofile = \"generic\"\nnode_key = \"{}\"\n",
            pacta_core::SecretKey::from_seed(&[1; 32]).public(),
            node_key.public()
        ))
        .unwrap();
        let config = Config::new(
            roster,
            "FR".parse().unwrap(),
            "d".into(),
            &[],
            DEFAULT_PULL_INTERVAL,
        )
        .unwrap()
        .with_node_key(node_key)
        .unwrap();
        let shown = format!("{config:?} {config:#?}");
        assert!(config.node_key.is_some());
        assert!(!shown.contains(&hex::encode(seed)), "{shown}");
        assert!(!shown.contains("7, 7, 7, 7"), "{shown}");
    }

    #[test]
    fn peer_urls_keep_their_path() {
        let roster = pacta_core::Roster::from_toml(&format!(
            "network = \"t\"\n[[member]]\ncode = \"FR\"\nname = \"F\"\nkey = \"{}\"\nnode = \"https://fr.example/pacta\"\nprofile = \"generic\"\n[[member]]\ncode = \"GB\"\nname = \"G\"\nkey = \"{}\"\nnode = \"https://gb.example\"\nprofile = \"generic\"\n",
            pacta_core::SecretKey::from_seed(&[1; 32]).public(),
            pacta_core::SecretKey::from_seed(&[2; 32]).public()
        ))
        .unwrap();
        let config = Config::new(
            roster.clone(),
            "GB".parse().unwrap(),
            "d".into(),
            &[],
            DEFAULT_PULL_INTERVAL,
        )
        .unwrap();
        assert_eq!(
            config.peers[0].join("v1/heads").unwrap().as_str(),
            "https://fr.example/pacta/v1/heads"
        );
        let explicit = [
            "http://127.0.0.1:7001".to_owned(),
            "http://h/a/b".to_owned(),
        ];
        let config = Config::new(
            roster,
            "GB".parse().unwrap(),
            "d".into(),
            &explicit,
            DEFAULT_PULL_INTERVAL,
        )
        .unwrap();
        assert_eq!(
            config.peers[1].join("v1/heads").unwrap().as_str(),
            "http://h/a/b/v1/heads"
        );
        assert!(
            Config::new(
                pacta_core::Roster::clone(&config.roster),
                "GB".parse().unwrap(),
                "d".into(),
                &["ftp://x".to_owned()],
                DEFAULT_PULL_INTERVAL
            )
            .is_err()
        );
    }
}
