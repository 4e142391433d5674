#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pacta_core::fuzz_check::checkpoint(data));
