//! The typed SPF record (RFC 7208 §4.6.1, §5, §6, §7.1) and its normalised
//! text form.
//!
//! Every type here is built only by [`super::parse`], which validates it
//! against the ABNF of RFC 7208 §12; `Display` writes the normalised form
//! (lowercase term names, no `+` qualifier, single spaces), which parses back
//! to the same value.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A directive's qualifier (RFC 7208 §4.6.2).
///
/// ```text
/// qualifier        = "+" / "-" / "?" / "~"
/// ```
///
/// A missing qualifier means `+`; the normalised form omits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `+` (or none): pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: softfail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

impl Qualifier {
    /// The qualifier character, `None` for the implicit `+`.
    fn prefix(self) -> &'static str {
        match self {
            Qualifier::Pass => "",
            Qualifier::Fail => "-",
            Qualifier::SoftFail => "~",
            Qualifier::Neutral => "?",
        }
    }
}

/// One element of a macro-string (RFC 7208 §7.1).
///
/// ```text
/// macro-string     = *( macro-expand / macro-literal )
/// macro-expand     = ( "%{" macro-letter transformers *delimiter "}" )
///                    / "%%" / "%_" / "%-"
/// macro-literal    = %x21-24 / %x26-7E
/// macro-letter     = "s" / "l" / "o" / "d" / "i" / "p" / "h" /
///                    "c" / "r" / "t" / "v"
/// transformers     = *DIGIT [ "r" ]
/// delimiter        = "." / "-" / "+" / "," / "/" / "_" / "="
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MacroPart {
    /// A run of macro-literal characters, as written.
    Literal(String),
    /// `%{…}`: a macro to expand with the sender's data.
    Expand(MacroExpand),
    /// `%%`: a literal percent sign.
    Percent,
    /// `%_`: a space.
    Space,
    /// `%-`: a URL-encoded space (`%20`).
    UrlSpace,
}

/// A `%{…}` macro-expand (RFC 7208 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MacroExpand {
    /// The macro letter as written (ABNF strings are case-insensitive; an
    /// uppercase letter asks for URL escaping, §7.3).
    pub letter: char,
    /// How many right-hand parts to keep (`transformers = *DIGIT`), if given.
    /// Kept as text: `%{d0}` and `%{d00}` are syntactically valid and only
    /// fail on evaluation (§7.3: "zero is not allowed"), which a census does
    /// not do.
    pub digits: String,
    /// The `r` (reverse) transformer.
    pub reverse: bool,
    /// The delimiters, as written.
    pub delimiters: String,
}

/// A macro-string: the value of an unknown modifier, and the body of a
/// domain-spec (RFC 7208 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MacroString {
    /// The parts in order; adjacent literals are merged.
    pub parts: Vec<MacroPart>,
}

impl MacroString {
    /// True when the string contains at least one `%{…}` macro, whose value
    /// depends on the message being checked.
    pub fn has_macros(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, MacroPart::Expand(_)))
    }
}

/// A domain-spec: a macro-string that ends in a macro or a valid top label
/// (RFC 7208 §7.1).
///
/// ```text
/// domain-spec      = macro-string domain-end
/// domain-end       = ( "." toplabel [ "." ] ) / macro-expand
/// toplabel         = ( *alphanum ALPHA *alphanum ) /
///                    ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
/// ```
///
/// Besides the ABNF, a domain-spec without macros must be a name DNS can
/// carry (labels of 1–63 octets, at most 253 octets in all, RFC 1035
/// §2.3.4): the suite leaves empty and overlong labels to the implementation
/// (tests `invalid-domain-empty-label`, `invalid-domain-long`), and a census
/// cannot query such a name, so it is a syntax error here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainSpec {
    /// The validated macro-string.
    pub spec: MacroString,
}

impl DomainSpec {
    /// True when the target depends on the sender (contains `%{…}`).
    pub fn has_macros(&self) -> bool {
        self.spec.has_macros()
    }

    /// The DNS name this spec names, lowercase and without the trailing dot
    /// (`%%`, `%_`, `%-` expanded, §7.1), or `None` when it contains `%{…}`
    /// macros (a census cannot expand them).
    pub fn target(&self) -> Option<String> {
        if self.has_macros() {
            return None;
        }
        let mut text = String::new();
        for part in &self.spec.parts {
            match part {
                MacroPart::Literal(literal) => text.push_str(literal),
                MacroPart::Percent => text.push('%'),
                MacroPart::Space => text.push(' '),
                MacroPart::UrlSpace => text.push_str("%20"),
                MacroPart::Expand(_) => return None,
            }
        }
        let name = text.strip_suffix('.').unwrap_or(&text);
        Some(name.to_ascii_lowercase())
    }
}

/// The optional CIDR lengths of `a` and `mx` (RFC 7208 §5.6).
///
/// ```text
/// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
/// ip4-cidr-length  = "/" ("0" / %x31-39 0*1DIGIT) ; value range 0-32
/// ip6-cidr-length  = "/" ("0" / %x31-39 0*2DIGIT) ; value range 0-128
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DualCidr {
    /// The IPv4 prefix length (0–32), if given.
    pub v4: Option<u8>,
    /// The IPv6 prefix length (0–128), if given.
    pub v6: Option<u8>,
}

/// A mechanism (RFC 7208 §5).
///
/// ```text
/// mechanism        = ( all / include / a / mx / ptr / ip4 / ip6 / exists )
/// all              = "all"
/// include          = "include"  ":" domain-spec
/// a                = "a"      [ ":" domain-spec ] [ dual-cidr-length ]
/// mx               = "mx"     [ ":" domain-spec ] [ dual-cidr-length ]
/// ptr              = "ptr"    [ ":" domain-spec ]
/// ip4              = "ip4"      ":" ip4-network   [ ip4-cidr-length ]
/// ip6              = "ip6"      ":" ip6-network   [ ip6-cidr-length ]
/// exists           = "exists"   ":" domain-spec
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// `all` (§5.1).
    All,
    /// `include:<domain-spec>` (§5.2).
    Include(DomainSpec),
    /// `a[:<domain-spec>][/<v4>][//<v6>]` (§5.3).
    A {
        /// The domain to look up; the current domain when absent.
        domain: Option<DomainSpec>,
        /// Prefix lengths.
        cidr: DualCidr,
    },
    /// `mx[:<domain-spec>][/<v4>][//<v6>]` (§5.4).
    Mx {
        /// The domain whose MX hosts to look up; the current domain when absent.
        domain: Option<DomainSpec>,
        /// Prefix lengths.
        cidr: DualCidr,
    },
    /// `ptr[:<domain-spec>]` (§5.5, "SHOULD NOT be used").
    Ptr(Option<DomainSpec>),
    /// `ip4:<network>[/<len>]` (§5.6).
    Ip4 {
        /// The network address.
        addr: Ipv4Addr,
        /// The prefix length (0–32), if given.
        prefix: Option<u8>,
    },
    /// `ip6:<network>[/<len>]` (§5.6).
    Ip6 {
        /// The network address.
        addr: Ipv6Addr,
        /// The prefix length (0–128), if given.
        prefix: Option<u8>,
    },
    /// `exists:<domain-spec>` (§5.7).
    Exists(DomainSpec),
}

impl Mechanism {
    /// True for the mechanisms that cost a DNS lookup (RFC 7208 §4.6.4:
    /// include, a, mx, ptr and exists; all, ip4 and ip6 do not).
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

/// A directive: a qualifier and a mechanism (RFC 7208 §4.6.1).
///
/// ```text
/// directive        = [ qualifier ] mechanism
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Directive {
    /// The qualifier (`+` when none was written).
    pub qualifier: Qualifier,
    /// The mechanism.
    pub mechanism: Mechanism,
}

/// A modifier (RFC 7208 §6).
///
/// ```text
/// modifier         = redirect / explanation / unknown-modifier
/// redirect         = "redirect" "=" domain-spec
/// explanation      = "exp" "=" domain-spec
/// unknown-modifier = name "=" macro-string
///                    ; where name is not any known modifier
/// name             = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `redirect=<domain-spec>` (§6.1).
    Redirect(DomainSpec),
    /// `exp=<domain-spec>` (§6.2).
    Exp(DomainSpec),
    /// Any other `name=value`: ignored by evaluation (§6), kept for display.
    Unknown {
        /// The modifier name, as written.
        name: String,
        /// The value.
        value: MacroString,
    },
}

/// A term of an SPF record (RFC 7208 §4.6.1).
///
/// ```text
/// terms            = *( 1*SP ( directive / modifier ) )
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    /// A qualified mechanism.
    Directive(Directive),
    /// A modifier.
    Modifier(Modifier),
}

/// A parsed SPF record (RFC 7208 §4.6.1).
///
/// ```text
/// record           = version terms *SP
/// version          = "v=spf1"
/// ```
///
/// [`SpfRecord`]s come only from [`super::parse`], which also enforces the
/// record-level rules: `redirect` and `exp` at most once each (§6).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SpfRecord {
    /// The terms, in record order.
    pub terms: Vec<Term>,
}

impl SpfRecord {
    /// The directives, in evaluation order.
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.terms.iter().filter_map(|t| match t {
            Term::Directive(d) => Some(d),
            Term::Modifier(_) => None,
        })
    }

    /// The qualifier of the first `all` mechanism: the record's own `all`
    /// (`spf_all`). Later ones are never evaluated (§5.1).
    pub fn all(&self) -> Option<Qualifier> {
        self.directives()
            .find(|d| d.mechanism == Mechanism::All)
            .map(|d| d.qualifier)
    }

    /// The directives that evaluation can reach: those up to and including
    /// the first `all`. "Mechanisms after `all` will never be tested.
    /// Mechanisms listed after `all` MUST be ignored." (RFC 7208 §5.1).
    pub fn reachable_directives(&self) -> impl Iterator<Item = &Directive> {
        let mut seen_all = false;
        self.directives().take_while(move |d| {
            let keep = !seen_all;
            seen_all |= d.mechanism == Mechanism::All;
            keep
        })
    }

    /// The `redirect` modifier's target spec, if present.
    pub fn redirect(&self) -> Option<&DomainSpec> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Redirect(spec)) => Some(spec),
            _ => None,
        })
    }

    /// The `redirect` that evaluation follows: none when the record has an
    /// `all` mechanism ("any `redirect` modifier MUST be ignored if there is
    /// an `all` mechanism present", RFC 7208 §6.1).
    pub fn effective_redirect(&self) -> Option<&DomainSpec> {
        if self.all().is_some() {
            None
        } else {
            self.redirect()
        }
    }

    /// The `exp` modifier's spec, if present.
    pub fn exp(&self) -> Option<&DomainSpec> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Exp(spec)) => Some(spec),
            _ => None,
        })
    }
}

impl fmt::Display for MacroExpand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{{{}{}", self.letter, self.digits)?;
        if self.reverse {
            f.write_str("r")?;
        }
        write!(f, "{}}}", self.delimiters)
    }
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                MacroPart::Literal(text) => f.write_str(text)?,
                MacroPart::Expand(expand) => expand.fmt(f)?,
                MacroPart::Percent => f.write_str("%%")?,
                MacroPart::Space => f.write_str("%_")?,
                MacroPart::UrlSpace => f.write_str("%-")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for DomainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.spec.fmt(f)
    }
}

impl fmt::Display for DualCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v4) = self.v4 {
            write!(f, "/{v4}")?;
        }
        if let Some(v6) = self.v6 {
            write!(f, "//{v6}")?;
        }
        Ok(())
    }
}

fn optional_domain(f: &mut fmt::Formatter<'_>, domain: &Option<DomainSpec>) -> fmt::Result {
    match domain {
        Some(spec) => write!(f, ":{spec}"),
        None => Ok(()),
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mechanism::All => f.write_str("all"),
            Mechanism::Include(spec) => write!(f, "include:{spec}"),
            Mechanism::A { domain, cidr } => {
                f.write_str("a")?;
                optional_domain(f, domain)?;
                cidr.fmt(f)
            }
            Mechanism::Mx { domain, cidr } => {
                f.write_str("mx")?;
                optional_domain(f, domain)?;
                cidr.fmt(f)
            }
            Mechanism::Ptr(domain) => {
                f.write_str("ptr")?;
                optional_domain(f, domain)
            }
            Mechanism::Ip4 { addr, prefix } => {
                write!(f, "ip4:{addr}")?;
                match prefix {
                    Some(len) => write!(f, "/{len}"),
                    None => Ok(()),
                }
            }
            Mechanism::Ip6 { addr, prefix } => {
                write!(f, "ip6:{addr}")?;
                match prefix {
                    Some(len) => write!(f, "/{len}"),
                    None => Ok(()),
                }
            }
            Mechanism::Exists(spec) => write!(f, "exists:{spec}"),
        }
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.qualifier.prefix(), self.mechanism)
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Modifier::Redirect(spec) => write!(f, "redirect={spec}"),
            Modifier::Exp(spec) => write!(f, "exp={spec}"),
            Modifier::Unknown { name, value } => write!(f, "{name}={value}"),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Directive(d) => d.fmt(f),
            Term::Modifier(m) => m.fmt(f),
        }
    }
}

/// The normalised record: `v=spf1`, then each term after one space.
impl fmt::Display for SpfRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=spf1")?;
        for term in &self.terms {
            write!(f, " {term}")?;
        }
        Ok(())
    }
}
