//! Cursor pagination for lists: `?limit=` (1 to 200, 50 by default) and `?cursor=` (opaque,
//! from the previous page's `next_cursor`). Lists are ordered by a key that sorts as text; the
//! cursor carries the last key returned.

use base64::Engine;

use crate::messages::{FieldIssue, InvalidField};
use crate::problem::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

fn engine() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

pub fn encode_cursor(key: &str) -> String {
    engine().encode(key)
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<String> {
    engine()
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

/// One page of `items` (sorted by `key`), after `cursor`, and the cursor of the next page.
pub fn page<T>(
    items: Vec<T>,
    cursor: Option<&str>,
    limit: Option<u32>,
    key: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidQuery(vec![InvalidField::new(
            "limit",
            FieldIssue::Limit { max: MAX_LIMIT },
        )]));
    }
    let after = match cursor {
        None => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| {
            ApiError::InvalidQuery(vec![InvalidField::new("cursor", FieldIssue::Cursor)])
        })?),
    };
    let mut rest = items
        .into_iter()
        .filter(|item| after.as_ref().is_none_or(|a| key(item) > *a))
        .peekable();
    let taken: Vec<T> = rest.by_ref().take(limit as usize).collect();
    let next = match (rest.peek(), taken.last()) {
        (Some(_), Some(last)) => Some(encode_cursor(&key(last))),
        _ => None,
    };
    Ok((taken, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_each_other_without_gaps_or_repeats() {
        let items: Vec<u32> = (1..=7).collect();
        let key = |n: &u32| format!("{n:05}");
        let (first, next) = page(items.clone(), None, Some(3), key).expect("page");
        assert_eq!(first, [1, 2, 3]);
        let (second, next) = page(items.clone(), next.as_deref(), Some(3), key).expect("page");
        assert_eq!(second, [4, 5, 6]);
        let (third, next) = page(items.clone(), next.as_deref(), Some(3), key).expect("page");
        assert_eq!((third, next), (vec![7], None));
    }

    #[test]
    fn bad_limits_and_cursors_are_refused() {
        assert!(page(vec![1], None, Some(0), |n: &i32| n.to_string()).is_err());
        assert!(page(vec![1], None, Some(201), |n: &i32| n.to_string()).is_err());
        assert!(page(vec![1], Some("%%%"), None, |n: &i32| n.to_string()).is_err());
    }
}
