//! The end-to-end benchmark harness behind `bench/run` (the `pacta-bench` binary):
//! real release-built processes, each figure against a bound measured in the same run.

#![allow(
    clippy::panic,
    reason = "benchmark harness: a step that fails makes the run worthless, so it stops loudly"
)]

pub mod load;
pub mod report;
pub mod world;
