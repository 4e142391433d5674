//! `pacta demo [--nodes N] [--exit] [--port BASE]`: a local network with the Paris
//! Declaration scenario, on the demonstration roster and keys compiled into the binary.
//!
//! The nodes are real `pacta-node` servers (the node library, in this process) on
//! `127.0.0.1:7001` and up (`--port BASE`; 0 takes free ports), in the roster's order (FR, GB, UA, DE, US, ...), each with
//! its own sled store in a temporary folder, replicating over real HTTP.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pacta_core::ids::{Kind, MemberCode};
use pacta_core::payload::Payload;
use pacta_core::roster::Member;
use pacta_core::status::compute;
use pacta_core::verify::verify_bundle;
use pacta_core::{Roster, SecretKey};
use pacta_node::Config;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::client::NodeClient;
use crate::cmd::status::today;
use crate::cmd::submit::Signer;
use crate::journal::Journal;
use crate::{Outcome, example, render, scenario};

/// How often the demo's nodes pull from each other.
const PULL: Duration = Duration::from_millis(500);
/// How often the demo's witnessing nodes sign checkpoints.
const CHECKPOINT: Duration = Duration::from_millis(500);

pub async fn run(nodes: usize, exit: bool, base: u16) -> Result<Outcome> {
    let roster = Roster::from_toml(example::ROSTER).context("the embedded demo roster")?;
    let mut members: Vec<&Member> = roster.members().collect();
    members.sort_by_key(|m| m.node.port());
    if !(1..=members.len()).contains(&nodes) {
        bail!(
            "--nodes must be 1 to {} (the members of the demo roster)",
            members.len()
        );
    }
    let members = &members[..nodes];
    let keys: BTreeMap<MemberCode, SecretKey> = example::KEYS
        .iter()
        .map(|(code, text)| Ok((code.parse()?, SecretKey::from_file_text(text)?)))
        .collect::<Result<_>>()?;

    let dir = tempfile::Builder::new()
        .prefix("pacta-demo-")
        .tempdir()
        .context("creating the demo's data folder")?;
    let mut listeners = Vec::new();
    let mut urls = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let port = match base {
            0 => 0,
            _ => u16::try_from(usize::from(base) + i).ok().with_context(|| {
                format!(
                    "--port {base}: {} nodes do not fit below 65536",
                    members.len()
                )
            })?,
        };
        let addr = format!("127.0.0.1:{port}");
        let l = TcpListener::bind(&addr).await.with_context(|| {
            format!(
                "cannot listen on {addr} for {}: is another demo running? (--port 0 picks free ports)",
                m.code
            )
        })?;
        urls.push(format!("http://{}", l.local_addr()?));
        listeners.push(l);
    }
    let (stop, stopped) = watch::channel(false);
    let mut servers = Vec::new();
    for (i, (m, listener)) in members.iter().zip(listeners).enumerate() {
        let peers: Vec<String> = urls
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, u)| u.clone())
            .collect();
        let config = Config::new(
            roster.clone(),
            m.code,
            dir.path().join(m.code.as_str()),
            &peers,
            PULL,
        )?;
        let config = match example::NODE_KEYS
            .iter()
            .find(|(c, _)| *c == m.code.as_str())
        {
            Some((_, text)) => config
                .with_node_key(SecretKey::from_file_text(text)?)?
                .with_checkpoint_interval(CHECKPOINT),
            None => config,
        };
        let mut stopped = stopped.clone();
        servers.push(tokio::spawn(pacta_node::run(
            listener,
            config,
            |_| {},
            async move {
                let _ = stopped.changed().await;
            },
        )));
    }
    println!(
        "Pacta demo: {nodes} nodes of network {} ({}), data in {}",
        roster.network_name(),
        roster.network_id().short(),
        dir.path().display()
    );
    for (m, url) in members.iter().zip(&urls) {
        println!("  {:<4} {:<16} {url}", m.code, m.name);
    }
    let clients: Vec<NodeClient> = urls
        .iter()
        .map(|u| NodeClient::new(u))
        .collect::<Result<_>>()?;
    for c in &clients {
        wait_until_serving(c).await?;
    }

    println!(
        "\nThe Paris Declaration of 6 January 2026. SHA-256 of the Élysée's official text: {}",
        scenario::DECLARATION_SHA256
    );
    println!(
        "The delegations sign and submit what happened that day (from the seed documents), then an\nILLUSTRATIVE binding instrument and its ratifications (invented, labelled so in every entry):"
    );
    let illustrative_sha = hex::encode(pacta_core::codec::sha256(
        scenario::ILLUSTRATIVE_TEXT.as_bytes(),
    ));
    let steps = scenario::steps(&illustrative_sha);
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for step in &steps {
        let member: MemberCode = step.member.parse()?;
        let key = keys.get(&member).context("no demo key")?;
        // Each delegation submits to its own node when it runs one, else to the first.
        let at = members.iter().position(|m| m.code == member).unwrap_or(0);
        let mut journal = Journal::open(dir.path().join(format!("{member}.journal")))?;
        let mut signer = Signer {
            client: &clients[at],
            key,
            key_label: format!("{member}'s demo key"),
            member,
            journal: &mut journal,
            force: false,
        };
        let kind: Kind = step.kind.parse()?;
        let payload = Payload::from_json(kind, resolve(&step.payload, &names)?)?;
        let label = if payload.illustrative() {
            " (illustrative)"
        } else {
            ""
        };
        match signer.sign_and_submit(kind, payload.encode()).await? {
            Ok(a) => {
                println!(
                    "  {:<4} {:>4} {}{label}, stored on {}'s node: {}",
                    a.member.as_str(),
                    a.seq.to_string(),
                    kind,
                    members[at].code,
                    a.id.short()
                );
                if let Some(name) = &step.name {
                    names.insert(format!("${name}"), a.id.to_string());
                }
            }
            Err((status, err)) => bail!(
                "{member}'s entry was refused (HTTP {status}): {}",
                err.error
            ),
        }
    }
    let entries = &steps;
    let submitted = Instant::now();
    wait_until_replicated(&clients, entries.len() as u64).await?;
    println!(
        "\nEvery node holds all {} entries, {} ms after the last submission.",
        entries.len(),
        submitted.elapsed().as_millis()
    );

    let bundle = clients[0].download().await?;
    let verification = verify_bundle(&roster, &bundle);
    let report = &verification.report;
    println!(
        "\nAudit of {}'s copy, against the roster alone:\n",
        members[0].code
    );
    print!("{}", render::report(report));
    if report.valid {
        let status = compute(&roster, &verification.ledger, today());
        print!("{}", render::bound_summary(&status));
        println!("\n{}", "=".repeat(100));
        print!("{}", render::status(&status, None, None));
    }
    println!(
        "\nTry:\n  curl {}/v1/heads\n  pacta verify --node {} --roster keys-example/roster.toml\n  pacta status --node {} --roster keys-example/roster.toml --instrument binding-commitments --member US\n  pacta status --node {} --roster keys-example/roster.toml --instrument binding-commitments --as-of 2026-06-01\n  pacta prove --node {} --roster keys-example/roster.toml --member GB --instrument binding-commitments --out gb.proof\n  pacta verify --proof gb.proof --roster keys-example/roster.toml\n  pacta export --node {} --out ledger.bundle",
        urls[0],
        urls[1 % urls.len()],
        urls[0],
        urls[0],
        urls[0],
        urls[0]
    );

    if !exit {
        println!(
            "\nOpen the status page in a browser: {}/\n  the US and its Congress steps: {}/members/US\n  follow changes: {}/feed.atom (Atom), or  pacta watch --node {}\n\nServing until Ctrl-C.",
            urls[0], urls[0], urls[0], urls[0]
        );
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
    }
    let _ = stop.send(true);
    for s in servers {
        // The demo's nodes share this process, so a node whose store failed cannot
        // restart itself in place as `pacta-node` does: say so and stop.
        if let pacta_node::Stopped::Restart(reason) = s.await.context("a demo node panicked")?? {
            anyhow::bail!("a demo node's store failed ({reason}); start the demo again");
        }
    }
    Ok(if report.valid {
        Outcome::Valid
    } else {
        Outcome::Invalid
    })
}

async fn wait_until_serving(client: &NodeClient) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.heads().await.is_err() {
        if Instant::now() > deadline {
            bail!("the node at {} did not start serving", client.url());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

async fn wait_until_replicated(clients: &[NodeClient], total: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut views = Vec::new();
        for c in clients {
            views.push(c.heads().await?.heads);
        }
        let complete = views
            .iter()
            .all(|h| h.values().map(|x| x.seq.0).sum::<u64>() == total && *h == views[0]);
        if complete {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the nodes did not converge within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Replaces every string `$name` in `value` by the id of the entry of that name.
pub fn resolve(
    value: &serde_json::Value,
    names: &BTreeMap<String, String>,
) -> Result<serde_json::Value> {
    use serde_json::Value;
    Ok(match value {
        Value::String(s) if s.starts_with('$') => Value::String(
            names
                .get(s)
                .with_context(|| format!("the scenario names {s} before it is signed"))?
                .clone(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve(v, names))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, names)?)))
                .collect::<Result<_>>()?,
        ),
        other => other.clone(),
    })
}
