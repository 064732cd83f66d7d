//! When a grant is in force, as a value of its own: its bounds and its
//! weekly windows. [`super::is_active`] is defined through it; a broker that
//! reads a binding's rule back (`lower::broker::schedule`) gets the same
//! answers, and can also ask until when an open grant stays open and when a
//! closed one opens next.

use super::window::{active_intervals, Window};
use jiff::Timestamp;

/// A grant's time: `not_before <= t < expires_at`, and inside one of
/// `windows` when there are any.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub not_before: Timestamp,
    pub expires_at: Timestamp,
    pub windows: Vec<Window>,
}

/// How far ahead to look for the end of an open window or the next
/// opening: a week and a day covers every weekly window, overnight ones too.
const LOOKAHEAD_SECONDS: i64 = 8 * 86_400;

/// The one definition of a grant in force at `at` (the language's
/// semantics): inside its bounds and, when it has windows, inside one.
pub(super) fn in_force(not_before: Timestamp, expires_at: Timestamp, windows: &[Window], at: Timestamp) -> bool {
    not_before <= at && at < expires_at && (windows.is_empty() || windows.iter().any(|w| w.contains(at)))
}

impl Schedule {
    /// Whether the grant is in force at `at`.
    pub fn is_active(&self, at: Timestamp) -> bool {
        in_force(self.not_before, self.expires_at, &self.windows, at)
    }

    fn ahead(at: Timestamp) -> Timestamp {
        Timestamp::from_second(at.as_second().saturating_add(LOOKAHEAD_SECONDS)).unwrap_or(Timestamp::MAX)
    }

    /// When the grant, in force at `at`, stops being in force: the end of
    /// the current window (adjacent windows merged) or `expires_at`.
    pub fn open_until(&self, at: Timestamp) -> Option<Timestamp> {
        if !self.is_active(at) {
            return None;
        }
        if self.windows.is_empty() {
            return Some(self.expires_at);
        }
        let until = Self::ahead(at).min(self.expires_at);
        active_intervals(&self.windows, at, until).first().map(|(_, end)| *end)
    }

    /// The first instant at or after `at` when the grant is in force, if it
    /// is before `expires_at`.
    pub fn next_opening(&self, at: Timestamp) -> Option<Timestamp> {
        if at >= self.expires_at {
            return None;
        }
        let from = at.max(self.not_before);
        if self.windows.is_empty() {
            return Some(from);
        }
        let mut start = from;
        // Bounded: a grant lasts at most 366 days, a step is 8 days.
        for _ in 0..50 {
            if start >= self.expires_at {
                return None;
            }
            let until = Self::ahead(start).min(self.expires_at);
            if let Some((open, _)) = active_intervals(&self.windows, start, until).first() {
                return Some(*open);
            }
            start = until;
        }
        None
    }
}
