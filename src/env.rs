//! The environment variables the library reads, and the one rule for reading them: surrounding
//! ASCII whitespace (spaces, tabs, newlines) is ignored; a name is matched without regard to
//! ASCII case; a count is decimal digits alone (no sign); anything else, or a variable that is
//! not set or not UTF-8, is ignored and the default applies.

/// The value of `name`, without surrounding ASCII whitespace; `None` when unset or not UTF-8.
fn value(name: &str) -> Option<String> {
    let v = std::env::var(name).ok()?;
    Some(v.trim_matches(|c: char| c.is_ascii_whitespace()).to_owned())
}

/// A count in `range` from the value of `name`.
pub(crate) fn count(name: &str, range: std::ops::RangeInclusive<usize>) -> Option<usize> {
    parse_count(&value(name)?).filter(|n| range.contains(n))
}

/// Decimal digits alone as a count.
fn parse_count(s: &str) -> Option<usize> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Which of `names` the value of `name` is, by index, regardless of ASCII case.
pub(crate) fn choice(name: &str, names: &[&str]) -> Option<usize> {
    let v = value(name)?;
    names.iter().position(|n| n.eq_ignore_ascii_case(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_digits_alone() {
        for (s, want) in [
            ("3", Some(3)),
            ("0012", Some(12)),
            ("+4", None),
            ("-2", None),
            ("", None),
            ("1e3", None),
            ("0x10", None),
            ("5 5", None),
            ("99999999999999999999999", None),
        ] {
            assert_eq!(parse_count(s), want, "{s:?}");
        }
    }

    #[test]
    fn values_lose_surrounding_whitespace_only() {
        // One variable per case: the tests of a binary share the environment.
        for (i, (raw, want)) in [
            (" 3 ", "3"),
            ("5\n", "5"),
            ("\tavx2\r\n", "avx2"),
            ("a b", "a b"),
        ]
        .into_iter()
        .enumerate()
        {
            let name = format!("SOFTMARGIN_ENV_TEST_{i}");
            std::env::set_var(&name, raw);
            assert_eq!(value(&name).as_deref(), Some(want), "{raw:?}");
            std::env::remove_var(&name);
        }
        assert_eq!(value("SOFTMARGIN_ENV_TEST_UNSET"), None);
    }
}
