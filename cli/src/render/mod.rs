//! What the commands print for people: the verification report here, statuses and
//! proofs in their own modules.

mod status;

use std::fmt::Write;

pub use status::{bound_summary, proof_verdict, status};

use pacta_core::verify::Report;

pub fn report(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "network {} ({})", r.network_name, r.network);
    let with_entries = r.feeds.iter().filter(|f| f.entries > 0).count();
    let _ = writeln!(
        out,
        "{} members, {with_entries} with entries, {} entries verified",
        r.feeds.len(),
        r.verified_entries
    );
    if !r.feeds.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {:<8} {:<28} {:>9}  {:<19} {:<24}",
            "member", "name", "head", "head id", "claimed time"
        );
    }
    let empty: Vec<String> = r
        .feeds
        .iter()
        .filter(|f| f.entries == 0)
        .map(|f| f.member.to_string())
        .collect();
    for f in r.feeds.iter().filter(|f| f.entries > 0) {
        let name: String = f.name.chars().take(28).collect();
        let (seq, id, time) = match f.head {
            Some(h) => (h.seq.to_string(), h.id.short(), h.time.to_string()),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let mut notes = Vec::new();
        if f.verified < f.entries {
            notes.push(format!("INVALID after {} of {}", f.verified, f.entries));
        }
        if f.disputed {
            notes.push("DISPUTED (fork)".to_owned());
        }
        let _ = writeln!(
            out,
            "  {:<8} {:<28} {:>9}  {:<19} {:<24} {}",
            f.member,
            name,
            seq,
            id,
            time,
            notes.join("; ")
        );
    }
    if !empty.is_empty() {
        let _ = writeln!(out, "  no entries yet: {}", empty.join(" "));
    }
    if !r.forks.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "forks (two validly signed entries at one position):");
        for f in &r.forks {
            let _ = writeln!(
                out,
                "  {} {}: {} and {}",
                f.member, f.seq, f.ids[0], f.ids[1]
            );
        }
    }
    let _ = writeln!(out);
    for v in &r.revocations {
        let by: Vec<String> = v.by.iter().map(|(m, _)| m.to_string()).collect();
        let _ = writeln!(
            out,
            "keys: {}'s key {}… revoked after #{} by {} members ({}); replacement {}…",
            v.member,
            &v.key.to_string()[..8],
            v.after.0,
            by.len(),
            by.join(", "),
            &v.replacement.to_string()[..8]
        );
    }
    for a in &r.admitted {
        let by: Vec<String> = a.by.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "admitted: {} ({}) by {} members ({})",
            a.member,
            a.name,
            by.len(),
            by.join(", ")
        );
    }
    for p in &r.pending {
        let _ = writeln!(out, "pending: {p}");
    }
    match &r.checkpoint {
        Some(c) => {
            let signers: Vec<String> = c.signers.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "checkpoint: node {} at {}, signed by {} ({} signatures, quorum {}); it covers {} entries{}",
                c.node,
                c.time,
                signers.join(", "),
                c.signers.len(),
                c.quorum,
                c.entries,
                if c.beyond > 0 {
                    format!(", and {} newer entries are not yet witnessed", c.beyond)
                } else {
                    String::new()
                }
            );
        }
        None => {
            let _ = writeln!(
                out,
                "checkpoint: none. Nothing witnesses that this ledger is complete, or that no other history was shown to other nodes."
            );
        }
    }
    if r.valid {
        let _ = writeln!(
            out,
            "VALID: every signature, chain link and payload checks out against the roster."
        );
        if !r.forks.is_empty() {
            let _ = writeln!(
                out,
                "Feeds with a fork proof are disputed: their members signed two histories."
            );
        }
    } else {
        let _ = writeln!(
            out,
            "INVALID: {} problem{}:",
            r.errors.len(),
            if r.errors.len() == 1 { "" } else { "s" }
        );
        for e in &r.errors {
            let _ = writeln!(out, "  {}", e.message);
        }
    }
    out
}
