//! Durations and rates as the plan and the command line write them: a number and a unit.

/// A time setting, kept in milliseconds and written in PostgreSQL's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    pub millis: u64,
}

/// PostgreSQL's time units, largest first.
const TIME_UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("min", 60_000),
    ("s", 1000),
    ("ms", 1),
];

impl Duration {
    /// `2s`, `500ms`, `1min`, `1h`, `1d`, or a number of milliseconds, as PostgreSQL reads them.
    pub fn parse(text: &str) -> Option<Duration> {
        let millis = with_unit(text, |unit| match unit {
            "" => Some(1),
            unit => TIME_UNITS.iter().find(|(u, _)| *u == unit).map(|(_, f)| *f),
        })?;
        Some(Duration { millis })
    }

    /// The largest PostgreSQL unit that says it exactly: `2s`, `500ms`, `1min`.
    pub fn to_postgres(self) -> String {
        match TIME_UNITS
            .iter()
            .find(|(_, size)| self.millis >= *size && self.millis.is_multiple_of(*size))
        {
            Some((unit, size)) => format!("{}{unit}", self.millis / size),
            None => "0".to_owned(),
        }
    }
}

/// Bytes per second: a number, or with kB, MB or GB (powers of 1024), and an optional `/s`.
pub(crate) fn parse_rate(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text.strip_suffix("/s").unwrap_or(text);
    with_unit(text, |unit| match unit {
        "" | "B" => Some(1),
        "kB" | "KB" => Some(1 << 10),
        "MB" => Some(1 << 20),
        "GB" => Some(1 << 30),
        _ => None,
    })
    .filter(|n| *n > 0)
}

/// Leading digits times what `factor` makes of the unit after them.
fn with_unit(text: &str, factor: impl Fn(&str) -> Option<u64>) -> Option<u64> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let number: u64 = text[..digits].parse().ok()?;
    number.checked_mul(factor(text[digits..].trim())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let millis = |text| Duration::parse(text).map(|d| d.millis);
        assert_eq!(millis("2s"), Some(2000));
        assert_eq!(millis("500ms"), Some(500));
        assert_eq!(millis("1min"), Some(60_000));
        assert_eq!(millis("3 h"), Some(10_800_000));
        assert_eq!(millis("250"), Some(250));
        assert_eq!(millis("1d"), Some(86_400_000));
        assert_eq!(millis("2 weeks"), None);
        assert_eq!(millis("1.5s"), None);
        assert_eq!(millis("-1s"), None);
    }

    #[test]
    fn durations_use_the_largest_exact_unit() {
        let d = |millis| Duration { millis }.to_postgres();
        assert_eq!(d(2000), "2s");
        assert_eq!(d(500), "500ms");
        assert_eq!(d(1500), "1500ms");
        assert_eq!(d(60_000), "1min");
        assert_eq!(d(30_000), "30s");
        assert_eq!(d(7_200_000), "2h");
        assert_eq!(d(0), "0");
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("50MB"), Some(50 << 20));
        assert_eq!(parse_rate("50 MB/s"), Some(50 << 20));
        assert_eq!(parse_rate("512kB"), Some(512 << 10));
        assert_eq!(parse_rate("1GB"), Some(1 << 30));
        assert_eq!(parse_rate("1000"), Some(1000));
        assert_eq!(parse_rate("0"), None);
        assert_eq!(parse_rate("fast"), None);
        assert_eq!(parse_rate("1.5MB"), None);
    }
}
