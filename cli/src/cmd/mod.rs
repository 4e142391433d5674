//! One module per command.

pub mod demo;
pub mod export;
pub mod keygen;
pub mod prove;
pub mod scenario_bundle;
pub mod status;
pub mod submit;
pub mod synth;
pub mod verify;
pub mod watch;
