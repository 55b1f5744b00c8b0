//! Every cookie of a name, from all `Cookie` headers, in the order sent.

use http::{HeaderMap, header};

/// All non-empty values of cookie `name` (quotes around a value removed).
pub fn values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    pairs(headers)
        .filter(move |(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Every `name=value` pair of every `Cookie` header.
pub fn pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(n, v)| (n.trim(), v.trim().trim_matches('"')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn every_value_of_the_name_is_returned_in_order() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; s=x; s=\"y\""),
        );
        h.append(header::COOKIE, HeaderValue::from_static("s=; s=z"));
        assert_eq!(values(&h, "s").collect::<Vec<_>>(), ["x", "y", "z"]);
        assert_eq!(values(&h, "missing").count(), 0);
    }
}

/// The session value(s) stored under `name`: each whole cookie of that name,
/// then the chunks `name.0`, `name.1`, ... joined (Auth.js, NextAuth and
/// @supabase/ssr split values over 4 KB that way).
pub fn assembled(headers: &HeaderMap, name: &str) -> Vec<String> {
    let mut out: Vec<String> = values(headers, name).map(str::to_owned).collect();
    let mut chunks: Vec<(usize, &str)> = pairs(headers)
        .filter_map(|(n, v)| {
            let index = n.strip_prefix(name)?.strip_prefix('.')?;
            Some((index.parse::<usize>().ok()?, v))
        })
        .collect();
    // The first cookie of each index wins; the indices must run 0, 1, 2, ... without a gap.
    chunks.sort_by_key(|(i, _)| *i);
    chunks.dedup_by_key(|(i, _)| *i);
    let joined: String = chunks
        .iter()
        .enumerate()
        .take_while(|(expected, (i, _))| expected == i)
        .map(|(_, (_, v))| *v)
        .collect();
    if !joined.is_empty() {
        out.push(joined);
    }
    out
}

/// `%XX` escapes decoded (cookie values written by JavaScript's `encodeURIComponent`).
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod chunk_tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn chunks_are_joined_in_index_order() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("t.1=bb; other=x; t.0=aa; t.2=cc; t.0=stale"),
        );
        assert_eq!(assembled(&h, "t"), ["aabbcc"]);
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("t=whole; t.1=gap"));
        assert_eq!(assembled(&h, "t"), ["whole"]);
    }
}
