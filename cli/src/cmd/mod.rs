//! One module per command.

pub mod keygen;
pub mod synth;
pub mod verify;
