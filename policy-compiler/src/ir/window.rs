//! Weekly windows in a time zone, and their unrolling into UTC intervals.

use crate::source::Span;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};

/// A set of weekdays; bit 0 is Sunday (as CEL's `getDayOfWeek`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DaySet(pub u8);

impl DaySet {
    pub fn contains(self, sunday_zero: u8) -> bool {
        self.0 & (1 << (sunday_zero % 7)) != 0
    }
    pub fn insert(&mut self, sunday_zero: u8) {
        self.0 |= 1 << (sunday_zero % 7);
    }
    pub fn is_all(self) -> bool {
        self.0 & 0x7f == 0x7f
    }
    /// Days in order, Sunday = 0.
    pub fn iter(self) -> impl Iterator<Item = u8> {
        (0u8..7).filter(move |d| self.contains(*d))
    }
    /// The set of the following days (the days an overnight window ends on).
    pub fn next_days(self) -> DaySet {
        let mut out = DaySet::default();
        for d in self.iter() {
            out.insert((d + 1) % 7);
        }
        out
    }
}

/// A weekly window: on `days`, from `start` to `end` (minutes after local
/// midnight) in `zone`. `end < start` is an overnight window that ends on the
/// next day.
#[derive(Debug, Clone)]
pub struct Window {
    pub span: Span,
    pub days: DaySet,
    pub start: u16,
    pub end: u16,
    /// The zone's IANA name, shared by every model that names it.
    pub zone_name: std::sync::Arc<str>,
    pub zone: TimeZone,
}

impl PartialEq for Window {
    fn eq(&self, other: &Self) -> bool {
        self.days == other.days
            && self.start == other.start
            && self.end == other.end
            && self.zone_name == other.zone_name
    }
}

impl Window {
    pub fn is_overnight(&self) -> bool {
        self.end < self.start
    }

    /// Whether the local wall clock at `at` is inside the window. Only the
    /// weekday, hour and minute are read, exactly as a CEL condition on
    /// `getDayOfWeek`, `getHours` and `getMinutes` does.
    pub fn contains(&self, at: Timestamp) -> bool {
        let local = self.zone.to_datetime(at);
        let day = local.weekday().to_sunday_zero_offset() as u8;
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        if self.is_overnight() {
            (self.days.contains(day) && minute >= self.start)
                || (self.days.contains((day + 6) % 7) && minute < self.end)
        } else {
            self.days.contains(day) && minute >= self.start && minute < self.end
        }
    }

    /// The instants at which the local wall clock shows `time` on `date`:
    /// none in a DST gap, two in a fold.
    fn instants_at(&self, date: Date, minute: u16) -> impl Iterator<Item = Timestamp> {
        let time = Time::constant((minute / 60) as i8, (minute % 60) as i8, 0, 0);
        let dt = DateTime::from_parts(date, time);
        let (a, b) = match self.zone.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => (offset.to_timestamp(dt).ok(), None),
            AmbiguousOffset::Gap { .. } => (None, None),
            AmbiguousOffset::Fold { before, after } => (before.to_timestamp(dt).ok(), after.to_timestamp(dt).ok()),
        };
        a.into_iter().chain(b)
    }
}

/// The maximal half-open UTC intervals inside `[from, until)` during which
/// at least one of `windows` contains the instant. With no windows the whole
/// range is one interval.
///
/// The membership predicate depends only on the local weekday and minute, so
/// it can change value only where some window's local clock reaches a start,
/// an end or midnight, or where the zone's offset changes (DST). Those
/// instants are collected as candidates, the predicate is evaluated once per
/// segment between consecutive candidates, and active segments are merged.
/// DST gaps and folds are therefore handled by the tz database, not by
/// offsets assumed in advance.
pub fn active_intervals(windows: &[Window], from: Timestamp, until: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    if from >= until {
        return Vec::new();
    }
    if windows.is_empty() {
        return vec![(from, until)];
    }
    let mut cuts: Vec<Timestamp> = vec![from, until];
    for w in windows {
        let first = w.zone.to_datetime(from).date().saturating_sub(1.day());
        let last = w.zone.to_datetime(until).date().saturating_add(1.day());
        let mut date = first;
        // Bounded: the grant is at most 366 days (plus the two margin days).
        for _ in 0..400 {
            if date > last {
                break;
            }
            for minute in [0, w.start, w.end] {
                cuts.extend(w.instants_at(date, minute));
            }
            date = date.saturating_add(1.day());
        }
        // Offset changes inside the range (bounded: a zone changes a few
        // times a year).
        for t in w.zone.following(from).take(64) {
            let ts = t.timestamp();
            if ts >= until {
                break;
            }
            cuts.push(ts);
        }
    }
    cuts.retain(|t| *t >= from && *t <= until);
    cuts.sort_unstable();
    cuts.dedup();

    let mut out: Vec<(Timestamp, Timestamp)> = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if windows.iter().any(|w| w.contains(a)) {
            match out.last_mut() {
                Some(last) if last.1 == a => last.1 = b,
                _ => out.push((a, b)),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: &[u8], start: u16, end: u16, zone: &str) -> Window {
        let mut set = DaySet::default();
        for d in days {
            set.insert(*d);
        }
        let tz = jiff::tz::db().get(zone).unwrap_or(TimeZone::UTC);
        Window { span: Span::default(), days: set, start, end, zone_name: zone.into(), zone: tz }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn overnight_window_belongs_to_its_start_day() {
        // Friday 22:00 to Saturday 06:00, Paris (CET in winter).
        let w = window(&[5], 22 * 60, 6 * 60, "Europe/Paris");
        assert!(w.contains(ts("2026-12-04T21:00:00Z"))); // Fri 22:00
        assert!(w.contains(ts("2026-12-05T04:59:59Z"))); // Sat 05:59
        assert!(!w.contains(ts("2026-12-05T05:00:00Z"))); // Sat 06:00
        assert!(!w.contains(ts("2026-12-05T21:00:00Z"))); // Sat 22:00
        assert!(!w.contains(ts("2026-12-04T04:00:00Z"))); // Fri 05:00 (Thursday's night)
    }

    #[test]
    fn spring_forward_gap_opens_at_the_jump() {
        // Sunday 02:30-04:00 Paris; on 2026-03-29 02:00 CET jumps to 03:00 CEST at 01:00Z.
        let w = window(&[0], 150, 240, "Europe/Paris");
        let iv = active_intervals(&[w], ts("2026-03-28T00:00:00Z"), ts("2026-03-30T00:00:00Z"));
        assert_eq!(iv, vec![(ts("2026-03-29T01:00:00Z"), ts("2026-03-29T02:00:00Z"))]);
    }

    #[test]
    fn fall_back_fold_gives_two_intervals() {
        // Sunday 01:30-02:30 New York; 2026-11-01 01:00-02:00 happens twice.
        let w = window(&[0], 90, 150, "America/New_York");
        let iv = active_intervals(&[w], ts("2026-10-31T12:00:00Z"), ts("2026-11-02T00:00:00Z"));
        assert_eq!(
            iv,
            vec![
                (ts("2026-11-01T05:30:00Z"), ts("2026-11-01T06:00:00Z")),
                (ts("2026-11-01T06:30:00Z"), ts("2026-11-01T07:30:00Z")),
            ]
        );
    }

    #[test]
    fn intervals_are_clipped_and_merged() {
        let every_day = window(&[0, 1, 2, 3, 4, 5, 6], 20 * 60, 0, "UTC");
        let morning = window(&[0, 1, 2, 3, 4, 5, 6], 0, 2 * 60, "UTC");
        let iv = active_intervals(&[every_day, morning], ts("2026-06-01T21:00:00Z"), ts("2026-06-02T23:00:00Z"));
        assert_eq!(
            iv,
            vec![
                (ts("2026-06-01T21:00:00Z"), ts("2026-06-02T02:00:00Z")),
                (ts("2026-06-02T20:00:00Z"), ts("2026-06-02T23:00:00Z")),
            ]
        );
        assert_eq!(active_intervals(&[], ts("2026-06-01T00:00:00Z"), ts("2026-06-02T00:00:00Z")).len(), 1);
    }
}
