//! Who a domain's DNS, mail and DMARC reports are run by, and which of them
//! matter enough to get a row.
//!
//! * DNS operator: the registrable domain (public suffix list) of the first
//!   name server the zone dump lists for the domain ([`dns_operator`]).
//! * MX provider: the registrable domain of the most preferred exchange
//!   ([`mx_provider`]); `mx_hosts` is in preference order.
//! * DMARC report platform: the registrable domain of the first `rua`
//!   destination outside the domain, or [`SAME_DOMAIN`] when every
//!   destination is at the domain itself ([`report_platform`]).
//!
//! Each rule puts a domain in exactly one row, so rows add up to their base
//! and an `other` row is an exact count. A name server or exchange at the
//! domain itself (`ns1.example.be` for `example.be`) is [`SELF_HOSTED`]: one
//! row for the thousands of domains that run their own, instead of one row
//! each (issue 16).
//!
//! [`fold`] keeps the rows whose share of the base reaches a minimum (the
//! report's `--min-share`) and folds the rest into [`OTHER`].

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use crate::metrics::pct;

/// The row of domains whose name servers or exchanges are the domain itself
/// or below it.
pub const SELF_HOSTED: &str = "self-hosted";
/// The row of domains whose DMARC reports go to the domain itself.
pub const SAME_DOMAIN: &str = "same domain";
/// The row that collects the groups below the minimum share.
pub const OTHER: &str = "other";
/// The row of domains without the dimension (no name servers in a list
/// input, no sector).
pub const UNKNOWN: &str = "unknown";
/// The MX-provider row of domains without an MX host (no MX, null MX, or MX
/// not determined), used where every domain needs a provider (attribution).
pub const NO_MX: &str = "no MX";

/// Lower-cases and strips the trailing dot of a host name, borrowing when it can.
pub fn norm_host(host: &str) -> Cow<'_, str> {
    let h = host.strip_suffix('.').unwrap_or(host);
    if h.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(h.to_ascii_lowercase())
    } else {
        Cow::Borrowed(h)
    }
}

/// The registrable domain (public suffix + 1) of `host`, or the host itself
/// when the list has no rule for it.
pub fn registrable(host: &str) -> String {
    let h = norm_host(host);
    psl::domain_str(&h).unwrap_or(&h).to_string()
}

/// Whether `host` is `domain` or a name below it (both normalised).
pub fn is_under(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// The provider of a host for `domain`: [`SELF_HOSTED`] when the host is in
/// the domain, else its registrable domain.
fn provider_of(domain: &str, host: &str) -> String {
    let h = norm_host(host);
    if is_under(&h, domain) {
        SELF_HOSTED.to_string()
    } else {
        psl::domain_str(&h).unwrap_or(&h).to_string()
    }
}

/// The DNS operator of `domain`: the registrable domain of its first listed
/// name server, [`SELF_HOSTED`] when that server is in the domain, `None`
/// without name servers (list input).
pub fn dns_operator(domain: &str, ns_hosts: &[&str]) -> Option<String> {
    ns_hosts.first().map(|ns| provider_of(domain, ns))
}

/// The MX provider of `domain`: the registrable domain of its most preferred
/// exchange, [`SELF_HOSTED`] when that exchange is in the domain, `None`
/// without exchanges.
pub fn mx_provider(domain: &str, mx_hosts: &[&str]) -> Option<String> {
    mx_hosts
        .iter()
        .find(|h| !h.is_empty() && **h != ".")
        .map(|h| provider_of(domain, h))
}

/// The receiving host of a DMARC `rua`/`ruf` URI (`mailto:x@host!10m`,
/// RFC 7489 §6.2), if it is a mailto URI.
pub fn rua_host(uri: &str) -> Option<&str> {
    let u = uri.trim();
    let rest = if u.len() >= 7 && u[..7].eq_ignore_ascii_case("mailto:") {
        &u[7..]
    } else {
        return None;
    };
    let host = rest.rsplit_once('@')?.1;
    let host = host.split('!').next().unwrap_or(host).trim();
    (!host.is_empty()).then_some(host)
}

/// Where `domain` sends its DMARC aggregate reports: the registrable domain
/// of the first destination outside the domain (a third-party platform), or
/// [`SAME_DOMAIN`] when every mailto destination is in the domain; `None`
/// when no destination is a mailto URI.
pub fn report_platform(domain: &str, rua: &[&str]) -> Option<String> {
    let mut same = false;
    for uri in rua {
        let Some(host) = rua_host(uri) else { continue };
        let h = norm_host(host);
        if is_under(&h, domain) {
            same = true;
        } else {
            return Some(psl::domain_str(&h).unwrap_or(&h).to_string());
        }
    }
    same.then(|| SAME_DOMAIN.to_string())
}

/// Names interned as small integers, so per-domain state stays small.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The id of `name`, added when new.
    pub fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The name of `id`.
    pub fn name(&self, id: u32) -> &str {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.names.get(i))
            .map_or("", String::as_str)
    }
}

/// One row of a folded table: a name, the domains in it, and for the
/// [`OTHER`] row how many names it folds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Folded<T> {
    /// The group's name (DNS-derived: escape before display).
    pub name: String,
    /// Domains in the group.
    pub domains: u64,
    /// Names folded into this row: 1, or more for [`OTHER`].
    pub members: u64,
    /// The group's payload (its counts).
    #[serde(skip)]
    pub value: T,
}

/// Orders and folds groups for display: named groups whose share of `base`
/// is at least `min_share` percent (at most `cap` of them, largest first,
/// ties by name), then the category rows that are always shown when not
/// empty ([`SELF_HOSTED`], [`SAME_DOMAIN`], [`NO_MX`]), then [`OTHER`] (the
/// named groups below the share, merged with `merge`), then [`UNKNOWN`].
pub fn fold<T: Default>(
    groups: HashMap<String, (u64, T)>,
    base: u64,
    min_share: f64,
    cap: usize,
    merge: impl Fn(&mut T, &T),
) -> Vec<Folded<T>> {
    let mut named = Vec::new();
    let mut categories = Vec::new();
    let mut unknown = None;
    for (name, (domains, value)) in groups {
        let row = Folded {
            name,
            domains,
            members: 1,
            value,
        };
        match row.name.as_str() {
            UNKNOWN => unknown = Some(row),
            SELF_HOSTED | SAME_DOMAIN | NO_MX => categories.push(row),
            _ => named.push(row),
        }
    }
    named.sort_by(|a, b| b.domains.cmp(&a.domains).then_with(|| a.name.cmp(&b.name)));
    categories.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = Vec::new();
    let mut other: Option<Folded<T>> = None;
    for row in named {
        // Compared in the same rounded tenths the table prints, so a row
        // shown as "0.5%" is never folded by a 0.5% threshold.
        let shown = out.len() < cap && pct(row.domains, base) >= min_share;
        if shown {
            out.push(row);
        } else {
            let o = other.get_or_insert_with(|| Folded {
                name: OTHER.to_string(),
                domains: 0,
                members: 0,
                value: T::default(),
            });
            o.domains += row.domains;
            o.members += 1;
            merge(&mut o.value, &row.value);
        }
    }
    out.extend(categories);
    out.extend(other);
    out.extend(unknown);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_hosted_name_servers_and_exchanges_fold_into_one_row() {
        for (domain, ns, want) in [
            ("example.be", vec!["ns1.example.be."], Some(SELF_HOSTED)),
            ("example.be", vec!["EXAMPLE.BE"], Some(SELF_HOSTED)),
            (
                "example.be",
                vec!["ns1.dnsop.net", "ns.example.be"],
                Some("dnsop.net"),
            ),
            // A name that merely ends with the domain's text is not in it.
            ("ample.be", vec!["ns.example.be"], Some("example.be")),
            (
                "example.be",
                vec!["ns1.example.co.uk"],
                Some("example.co.uk"),
            ),
            ("example.be", vec![], None),
        ] {
            assert_eq!(
                dns_operator(domain, &ns).as_deref(),
                want,
                "{domain} {ns:?}"
            );
        }
        assert_eq!(
            mx_provider("a.be", &["mx1.a.be", "aspmx.l.google.com"]).as_deref(),
            Some(SELF_HOSTED)
        );
        assert_eq!(
            mx_provider("a.be", &["a-be.mail.protection.outlook.com"]).as_deref(),
            Some("outlook.com")
        );
        assert_eq!(mx_provider("a.be", &["."]), None);
    }

    #[test]
    fn report_platform_is_the_first_third_party_destination() {
        for (rua, want) in [
            (vec!["mailto:d@a.be"], Some(SAME_DOMAIN)),
            (
                vec!["mailto:d@rep.a.be", "mailto:x@rua.agari.com"],
                Some("agari.com"),
            ),
            (vec!["mailto:x@RUA.dmarcian.com!10m"], Some("dmarcian.com")),
            (vec!["https://r.example/"], None),
            (vec![], None),
        ] {
            assert_eq!(report_platform("a.be", &rua).as_deref(), want, "{rua:?}");
        }
    }

    #[test]
    fn rua_hosts_come_from_mailto_uris() {
        for (uri, want) in [
            ("mailto:dmarc@rua.example.net", Some("rua.example.net")),
            ("mailto:a@b@c.example!10m", Some("c.example")),
            ("MAILTO:x@Y.example", Some("Y.example")),
            ("https://report.example/", None),
            ("mailto:nobody", None),
        ] {
            assert_eq!(rua_host(uri), want, "{uri}");
        }
    }

    #[test]
    fn registrable_domain_uses_the_public_suffix_list() {
        for (host, want) in [
            ("ns1.example.co.uk.", "example.co.uk"),
            ("mx1.MAIL.protection.outlook.com", "outlook.com"),
            ("a.b.example.be", "example.be"),
        ] {
            assert_eq!(registrable(host), want, "{host}");
        }
    }

    #[test]
    fn rows_below_the_minimum_share_fold_into_other() {
        let groups: HashMap<String, (u64, u64)> = [
            ("big.net", 600),
            ("mid.net", 5),  // 0.5% of 1000: shown
            ("tiny.net", 4), // 0.4%: folded
            ("wee.net", 1),
            (SELF_HOSTED, 2),
            (UNKNOWN, 388),
        ]
        .into_iter()
        .map(|(n, c)| (n.to_string(), (c, c)))
        .collect();
        let rows = fold(groups, 1000, 0.5, 20, |a, b| *a += b);
        let got: Vec<(&str, u64, u64)> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.domains, r.members))
            .collect();
        assert_eq!(
            got,
            [
                ("big.net", 600, 1),
                ("mid.net", 5, 1),
                (SELF_HOSTED, 2, 1),
                (OTHER, 5, 2),
                (UNKNOWN, 388, 1)
            ]
        );
        assert_eq!(rows[3].value, 5, "merged payload");
        // The cap folds too.
        let groups: HashMap<String, (u64, u64)> = [("a", 50), ("b", 40), ("c", 10)]
            .into_iter()
            .map(|(n, c)| (n.to_string(), (c, c)))
            .collect();
        let rows = fold(groups, 100, 0.0, 2, |a, b| *a += b);
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[2].name.as_str(), rows[2].domains), (OTHER, 10));
    }
}
