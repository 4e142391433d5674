//! The node's configuration: flags, a TOML file, or both (flags win).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use pacta_core::{MemberCode, Roster};
use reqwest::Url;
use serde::Deserialize;

/// How often a node pulls from each peer when all is well.
pub const DEFAULT_PULL_INTERVAL: Duration = Duration::from_secs(5);

/// Everything `run` needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub roster: Arc<Roster>,
    pub member: MemberCode,
    pub data: PathBuf,
    pub peers: Vec<Url>,
    pub pull_interval: Duration,
}

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
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid node config", path.display()))
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
        let peers = if peers.is_empty() {
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
        if pull_interval.is_zero() {
            bail!("the pull interval must be more than 0 ms");
        }
        Ok(Config {
            roster: Arc::new(roster),
            member,
            data,
            peers,
            pull_interval,
        })
    }
}

pub fn load_roster(path: &Path) -> Result<Roster> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read roster {}", path.display()))?;
    Roster::from_toml(&text).with_context(|| format!("{} is not a valid roster", path.display()))
}
