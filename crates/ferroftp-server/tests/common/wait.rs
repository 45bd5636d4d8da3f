//! Waiting for a condition against a deadline, rather than sleeping a fixed time and hoping
//! it was long enough. Shared by the server's tests and the binary's (`crates/ferroftp/tests`
//! includes this file by path).

use std::time::{Duration, Instant};

/// How long a test waits for something that should happen promptly. Generous, so that a
/// loaded machine does not fail a test; a passing test never waits this long.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// [`PATIENCE`] from now.
pub fn deadline() -> Instant {
    Instant::now() + PATIENCE
}

/// Checks `cond` until it holds or `deadline` has passed, and says whether it held. The
/// pause between checks grows from 1 ms to 50 ms, so a quick condition is seen quickly and a
/// slow one does not spin.
pub fn wait_until(deadline: Instant, mut cond: impl FnMut() -> bool) -> bool {
    let mut pause = Duration::from_millis(1);
    loop {
        if cond() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
