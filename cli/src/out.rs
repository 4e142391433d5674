//! Standard output that a reader may close early (`pacta verify … | head`).
//!
//! `print!` panics when stdout is a closed pipe (Rust ignores SIGPIPE, so the write
//! fails with `BrokenPipe`), which ended such a run with exit code 101 and a panic
//! message. Here a closed stdout only means nobody reads the rest: the command stops
//! writing, finishes, and exits with its documented code (the verdict for `verify`).

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write found stdout closed; later writes are skipped.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout; a closed stdout is not an error, any other failure is.
pub fn write(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

/// `print!` that survives a closed stdout (see the module docs).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!($($arg)*))?
    };
}

/// `println!` that survives a closed stdout (see the module docs).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!("{}\n", format_args!($($arg)*)))?
    };
}
