//! The demonstration network compiled into the binary, so `pacta demo` runs from
//! anywhere: `keys-example/roster.toml`, every member's public demonstration key, and
//! the node keys of the five witnessing demo nodes.

pub const ROSTER: &str = include_str!("../../keys-example/roster.toml");

macro_rules! keys {
    ($($code:literal),* $(,)?) => {
        /// `(member code, key file text)` for every member of the demo roster.
        pub const KEYS: &[(&str, &str)] = &[$(($code, include_str!(concat!("../../keys-example/", $code, ".key")))),*];
    };
}

keys!(
    "AL", "AT", "AU", "BE", "BG", "CA", "CY", "CZ", "DE", "DK", "EE", "ES", "EU", "FI", "FR", "GB",
    "GR", "HR", "IE", "IS", "IT", "JP", "LT", "LU", "LV", "ME", "NATO", "NL", "NO", "NZ", "PL",
    "PT", "RO", "SE", "SI", "TR", "UA", "US",
);

/// `(member code, node key file text)` for the demo nodes that witness.
pub const NODE_KEYS: &[(&str, &str)] = &[
    ("DE", include_str!("../../keys-example/DE.node.key")),
    ("FR", include_str!("../../keys-example/FR.node.key")),
    ("GB", include_str!("../../keys-example/GB.node.key")),
    ("UA", include_str!("../../keys-example/UA.node.key")),
    ("US", include_str!("../../keys-example/US.node.key")),
];
