//! `pacta export --node URL --out FILE`: the node's whole ledger as one bundle, the
//! entries exactly as the node served them.

use std::path::Path;

use anyhow::Result;

use crate::Outcome;
use crate::client::NodeClient;
use crate::files::write_atomic;

pub async fn run(node: &str, out: &Path) -> Result<Outcome> {
    let client = NodeClient::new(node)?;
    let bytes = client.download().await?;
    write_atomic(out, &bytes)?;
    eprintln!(
        "wrote {} ({} bytes) from {}",
        out.display(),
        bytes.len(),
        client.url()
    );
    Ok(Outcome::Valid)
}
