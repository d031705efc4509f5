//! Turns a scan request (prefix and/or half-open range) into one pair of key bounds.
//!
//! Keys are compared as raw bytes, lexicographically, as redb orders `&[u8]` keys.

use std::ops::Bound;

/// What the caller asked `scan` for. Every part is optional; parts combine by intersection.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScanSpec<'a> {
    pub prefix: Option<&'a [u8]>,
    /// Inclusive lower bound.
    pub start: Option<&'a [u8]>,
    /// Exclusive upper bound.
    pub end: Option<&'a [u8]>,
    pub limit: Option<usize>,
    pub reverse: bool,
}

/// The key range a scan visits: `lower` is inclusive, `upper` exclusive, `None` unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBounds {
    pub lower: Option<Vec<u8>>,
    pub upper: Option<Vec<u8>>,
}

impl KeyBounds {
    /// The bounds in the form redb's `range()` takes.
    pub fn as_range(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        let lower = self
            .lower
            .as_deref()
            .map_or(Bound::Unbounded, Bound::Included);
        let upper = self
            .upper
            .as_deref()
            .map_or(Bound::Unbounded, Bound::Excluded);
        (lower, upper)
    }
}

/// The smallest key greater than every key starting with `prefix`, or `None` when no such key
/// exists (the prefix is empty or all `0xff`), meaning "unbounded above".
pub fn prefix_upper_bound(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut bound = prefix.to_vec();
    while let Some(last) = bound.pop() {
        if last < u8::MAX {
            bound.push(last + 1);
            return Some(bound);
        }
    }
    None
}

fn max_lower(a: Option<Vec<u8>>, b: Option<&[u8]>) -> Option<Vec<u8>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a.as_slice() >= b { a } else { b.to_vec() }),
        (a, b) => a.or_else(|| b.map(<[u8]>::to_vec)),
    }
}

fn min_upper(a: Option<Vec<u8>>, b: Option<&[u8]>) -> Option<Vec<u8>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a.as_slice() <= b { a } else { b.to_vec() }),
        (a, b) => a.or_else(|| b.map(<[u8]>::to_vec)),
    }
}

/// The bounds of `spec`, or `None` when they select nothing (also when `limit` is 0).
///
/// Returning `None` for an empty range matters: redb, like `BTreeMap`, must never be handed a
/// range whose start lies after its end.
pub fn resolve(spec: &ScanSpec<'_>) -> Option<KeyBounds> {
    if spec.limit == Some(0) {
        return None;
    }
    let lower = max_lower(spec.prefix.map(<[u8]>::to_vec), spec.start);
    let upper = min_upper(spec.prefix.and_then(prefix_upper_bound), spec.end);
    if let (Some(lo), Some(hi)) = (&lower, &upper)
        && lo >= hi
    {
        return None;
    }
    Some(KeyBounds { lower, upper })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(
        prefix: Option<&'a [u8]>,
        start: Option<&'a [u8]>,
        end: Option<&'a [u8]>,
    ) -> ScanSpec<'a> {
        ScanSpec {
            prefix,
            start,
            end,
            ..ScanSpec::default()
        }
    }

    #[test]
    fn prefix_upper_bound_increments_last_byte() {
        assert_eq!(prefix_upper_bound(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_upper_bound(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_upper_bound(b"\xff\xff"), None);
        assert_eq!(prefix_upper_bound(b""), None);
    }

    #[test]
    fn unbounded_without_arguments() {
        let bounds = resolve(&ScanSpec::default()).unwrap();
        assert_eq!(
            bounds,
            KeyBounds {
                lower: None,
                upper: None
            }
        );
    }

    #[test]
    fn prefix_and_range_intersect() {
        let bounds = resolve(&spec(Some(b"user:"), Some(b"user:m"), None)).unwrap();
        assert_eq!(bounds.lower.as_deref(), Some(&b"user:m"[..]));
        assert_eq!(bounds.upper.as_deref(), Some(&b"user;"[..]));

        let bounds = resolve(&spec(Some(b"user:"), Some(b"a"), Some(b"user:c"))).unwrap();
        assert_eq!(bounds.lower.as_deref(), Some(&b"user:"[..]));
        assert_eq!(bounds.upper.as_deref(), Some(&b"user:c"[..]));
    }

    #[test]
    fn empty_ranges_resolve_to_none() {
        assert!(resolve(&spec(None, Some(b"b"), Some(b"a"))).is_none());
        assert!(resolve(&spec(None, Some(b"a"), Some(b"a"))).is_none());
        assert!(resolve(&spec(Some(b"x"), None, Some(b"a"))).is_none());
        let zero = ScanSpec {
            limit: Some(0),
            ..ScanSpec::default()
        };
        assert!(resolve(&zero).is_none());
    }
}
