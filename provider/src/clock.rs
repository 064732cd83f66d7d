//! The clock, behind a trait so protocol tests can fix time. Only the
//! provider reads the time; the compiler never does.

use jiff::Timestamp;
use std::sync::Mutex;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock read from a file holding one RFC 3339 instant, re-read at every
/// call (end-to-end tests move it between Terraform runs:
/// `JIT_TEST_CLOCK_FILE`). An unreadable file reads as the system clock.
#[derive(Debug)]
pub struct FileClock(pub std::path::PathBuf);

impl Clock for FileClock {
    fn now(&self) -> Timestamp {
        std::fs::read_to_string(&self.0).ok().and_then(|t| t.trim().parse().ok()).unwrap_or_else(Timestamp::now)
    }
}

/// The provider's clock: the system's, or [`FileClock`] when the
/// environment names a file in `JIT_TEST_CLOCK_FILE`.
pub fn from_env() -> std::sync::Arc<dyn Clock> {
    match std::env::var_os("JIT_TEST_CLOCK_FILE") {
        Some(path) if !path.is_empty() => std::sync::Arc::new(FileClock(path.into())),
        _ => std::sync::Arc::new(SystemClock),
    }
}

/// A clock that says what it is told (tests).
#[derive(Debug)]
pub struct FixedClock(pub Mutex<Timestamp>);

impl FixedClock {
    pub fn new(t: Timestamp) -> Self {
        FixedClock(Mutex::new(t))
    }
    pub fn set(&self, t: Timestamp) {
        if let Ok(mut g) = self.0.lock() {
            *g = t;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0.lock().map(|g| *g).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}
