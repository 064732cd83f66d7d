//! Weekly windows in a time zone, and their unrolling into UTC intervals.

use crate::source::Span;
use jiff::tz::TimeZone;
use jiff::Timestamp;

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
}

/// The maximal half-open UTC intervals inside `[from, until)` during which
/// at least one of `windows` contains the instant. With no windows the whole
/// range is one interval.
///
/// The range is cut where each window's zone changes its UTC offset (the tz
/// database's transitions: DST and the rest). Inside one such segment the
/// local clock is UTC plus a constant, so the window's local spans, one per
/// listed day (an overnight one running into the next day), map to UTC by
/// subtracting that constant and are clipped to the segment. A DST gap or
/// fold therefore needs no special case: a span that starts in a gap opens
/// at the jump, and a fold is met twice, once in each segment. This is the
/// set on which [`Window::contains`] holds, computed by arithmetic on whole
/// seconds rather than by asking the zone about every instant.
pub fn active_intervals(windows: &[Window], from: Timestamp, until: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    if from >= until {
        return Vec::new();
    }
    if windows.is_empty() {
        return vec![(from, until)];
    }
    // Whole seconds covering the range; clipped to it exactly at the end.
    let (lo, hi) = (from.as_second(), until.as_second() + i64::from(until.subsec_nanosecond() > 0));
    let mut raw: Vec<(i64, i64)> = Vec::new();
    for w in windows {
        let mut start = lo;
        let mut offset = i64::from(w.zone.to_offset(from).seconds());
        let mut changes = w.zone.following(from).map(|t| (t.timestamp().as_second(), i64::from(t.offset().seconds())));
        // Bounded: a zone changes its offset a few times a year at most.
        for _ in 0..MAX_SEGMENTS {
            let next = changes.next().filter(|(at, _)| *at < hi);
            let end = next.map_or(hi, |(at, _)| at.max(start));
            w.spans_in(start, end, offset, &mut raw);
            match next {
                Some((_, to)) => (start, offset) = (end, to),
                None => break,
            }
        }
    }
    raw.sort_unstable();
    let mut out: Vec<(Timestamp, Timestamp)> = Vec::new();
    for (a, z) in raw {
        let (Ok(a), Ok(z)) = (Timestamp::from_second(a), Timestamp::from_second(z)) else { continue };
        push_merged(&mut out, a.max(from), z.min(until));
    }
    out
}

/// Append `[a, z)` to intervals sorted by start, joining it to the last
/// one when they touch or overlap; an empty interval is dropped.
pub fn push_merged(out: &mut Vec<(Timestamp, Timestamp)>, a: Timestamp, z: Timestamp) {
    if a >= z {
        return;
    }
    match out.last_mut() {
        Some(last) if last.1 >= a => last.1 = last.1.max(z),
        _ => out.push((a, z)),
    }
}

/// Offset segments followed per window: more than enough for any range a
/// binding can ask about (a grant is at most 366 days).
const MAX_SEGMENTS: usize = 4096;

const DAY: i64 = 86_400;

impl Window {
    /// Push the UTC spans of this window inside `[start, end)`, where the
    /// zone's offset is the constant `offset` seconds.
    fn spans_in(&self, start: i64, end: i64, offset: i64, out: &mut Vec<(i64, i64)>) {
        if start >= end {
            return;
        }
        let (open, close) =
            (i64::from(self.start) * 60, i64::from(self.end) * 60 + if self.is_overnight() { DAY } else { 0 });
        // Local days whose span can reach the segment: an overnight span
        // begins the day before.
        let first = (start + offset).div_euclid(DAY) - 1;
        let last = (end - 1 + offset).div_euclid(DAY);
        for day in first..=last {
            // 1970-01-01 was a Thursday (4, counting from Sunday).
            if !self.days.contains((day + 4).rem_euclid(7) as u8) {
                continue;
            }
            let (a, z) = ((day * DAY + open - offset).max(start), (day * DAY + close - offset).min(end));
            if a < z {
                out.push((a, z));
            }
        }
    }
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

    /// `active_intervals` against `contains` asked at every minute (and
    /// half-minute) of ranges around offset changes, in zones with ordinary,
    /// half-hour, negative and midnight DST.
    #[test]
    fn intervals_are_exactly_where_some_window_contains_the_instant() {
        let weekdays = [1, 2, 3, 4, 5];
        let cases: Vec<(Vec<Window>, &str, &str)> = vec![
            (vec![window(&[0], 150, 240, "Europe/Paris")], "2026-03-27T00:00:00Z", "2026-04-01T00:00:00Z"),
            (vec![window(&[0], 90, 150, "America/New_York")], "2026-10-30T00:00:00Z", "2026-11-03T00:00:00Z"),
            (vec![window(&[6], 22 * 60, 2 * 60, "America/New_York")], "2027-03-12T00:00:00Z", "2027-03-16T00:00:00Z"),
            // Starts inside Saturday night's span, on the night DST begins.
            (vec![window(&[6], 22 * 60, 4 * 60, "America/New_York")], "2027-03-14T05:30:00Z", "2027-03-22T00:00:00Z"),
            (vec![window(&[6], 23 * 60, 3 * 60, "Asia/Tokyo")], "2026-12-01T00:00:00Z", "2026-12-15T00:00:00Z"),
            (
                vec![window(&[0, 1, 2, 3, 4, 5, 6], 60, 3 * 60, "Australia/Lord_Howe")],
                "2026-04-02T00:00:00Z",
                "2026-04-07T00:00:00Z",
            ),
            (vec![window(&[0, 6], 30, 2 * 60, "Europe/Dublin")], "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z"),
            (vec![window(&weekdays, 23 * 60, 0, "America/Santiago")], "2026-09-03T00:00:00Z", "2026-09-09T00:00:00Z"),
            (
                vec![
                    window(&weekdays, 9 * 60, 17 * 60 + 30, "America/New_York"),
                    window(&[5], 17 * 60, 23 * 60, "Europe/Paris"),
                ],
                "2027-03-05T00:00:00Z",
                "2027-04-02T00:00:00Z",
            ),
        ];
        for (windows, from, until) in cases {
            let (from, until) = (ts(from), ts(until));
            let iv = active_intervals(&windows, from, until);
            assert!(iv.windows(2).all(|p| p[0].1 < p[1].0), "{iv:?}: sorted, disjoint and not touching");
            let mut t = from.as_second();
            while t < until.as_second() {
                for at in [t, t + 30] {
                    let at = Timestamp::from_second(at).unwrap_or(from);
                    let want = windows.iter().any(|w| w.contains(at));
                    let got = iv.iter().any(|(a, z)| *a <= at && at < *z);
                    assert_eq!(got, want, "{} at {at}", windows[0].zone_name);
                }
                t += 60;
            }
        }
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
