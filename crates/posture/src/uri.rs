//! The URI checks the report-address tags need (RFC 3986 §3, RFC 6068 §2).
//!
//! Not a full URI parser: enough to tell a published report address from a
//! typo. A URI here is `scheme ":" rest` with a scheme per RFC 3986 §3.1 and a
//! rest made only of URI characters (RFC 3986 §2: unreserved, reserved, and
//! `%` followed by two hex digits). `mailto:` needs an `@` with something on
//! each side (RFC 6068 §2); `https:` needs `//` and a non-empty host
//! (RFC 9110 §4.2.2).

/// The URI schemes the record grammars name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `mailto:` (RFC 6068).
    Mailto,
    /// `https:` (RFC 9110 §4.2.2).
    Https,
    /// A syntactically valid URI of another scheme.
    Other,
}

fn is_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

fn valid_percent_escapes(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Checks `uri` and returns its scheme, or `None` when it is not a URI or is a
/// `mailto:`/`https:` URI without an address or host.
pub(crate) fn check(uri: &str) -> Option<Scheme> {
    let (scheme, rest) = uri.split_once(':')?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return None;
    }
    if rest.is_empty() || !rest.chars().all(is_uri_char) || !valid_percent_escapes(rest) {
        return None;
    }
    if scheme.eq_ignore_ascii_case("mailto") {
        let address = rest.split('?').next().unwrap_or_default();
        let (local, domain) = address.rsplit_once('@')?;
        (!local.is_empty() && !domain.is_empty()).then_some(Scheme::Mailto)
    } else if scheme.eq_ignore_ascii_case("https") {
        let authority = rest.strip_prefix("//")?;
        let host = authority
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .rsplit('@')
            .next()
            .unwrap_or_default();
        (!host.is_empty() && !host.starts_with(':')).then_some(Scheme::Https)
    } else {
        Some(Scheme::Other)
    }
}

/// The host of a `mailto:` URI's (first) address, lowercase, without a
/// trailing dot; `None` for another scheme or a malformed URI.
pub(crate) fn mailto_host(uri: &str) -> Option<String> {
    if check(uri)? != Scheme::Mailto {
        return None;
    }
    let rest = uri.split_once(':')?.1;
    let address = rest.split(['?', ',']).next()?;
    let host = address.rsplit_once('@')?.1;
    let host = host.strip_suffix('.').unwrap_or(host);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3986 §3.1 (scheme), §2.1 (percent-encoding), RFC 6068 §2, RFC 9110 §4.2.2.
    #[test]
    fn rfc3986_check_table() {
        let table = [
            ("mailto:dmarc@example.com", Some(Scheme::Mailto)),
            ("MAILTO:dmarc@example.com", Some(Scheme::Mailto)),
            ("mailto:a%40b@example.com", Some(Scheme::Mailto)),
            ("mailto:example.com", None),
            ("mailto:@example.com", None),
            ("mailto:a@", None),
            ("mailto:", None),
            ("mailto:a b@example.com", None),
            ("mailto:a%4@example.com", None),
            ("https://example.com/report", Some(Scheme::Https)),
            ("https://", None),
            ("https:example.com", None),
            ("http://example.com", Some(Scheme::Other)),
            ("1http://example.com", None),
            ("dmarc@example.com", None),
            ("", None),
        ];
        for (uri, want) in table {
            assert_eq!(check(uri), want, "{uri:?}");
        }
    }

    #[test]
    fn mailto_host_lowercases_and_drops_root_dot() {
        assert_eq!(
            mailto_host("mailto:Rua@Reports.Example.NET."),
            Some("reports.example.net".into())
        );
        assert_eq!(mailto_host("https://example.com"), None);
        assert_eq!(mailto_host("mailto:bad"), None);
    }
}
