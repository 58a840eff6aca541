//! DMARC record and posture types (RFC 7489 §6.3/§6.4, RFC 9989 §4.7).
//!
//! The record grammar, RFC 7489 §6.4, with the tags RFC 9989 adds (`np`, `psd`,
//! `t`) and the ones it removes (`pct`, `rf`, `ri`, still parsed: they are
//! published widely and the census keeps `pct`):
//!
//! ```text
//! dmarc-record    = dmarc-version dmarc-sep [dmarc-request] ... [dmarc-sep]
//! dmarc-version   = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31
//! dmarc-sep       = *WSP %x3b *WSP
//! dmarc-request   = "p" *WSP "=" *WSP ( "none" / "quarantine" / "reject" )
//! dmarc-srequest  = "sp" *WSP "=" *WSP ( "none" / "quarantine" / "reject" )
//! dmarc-auri      = "rua" *WSP "=" *WSP dmarc-uri *(*WSP "," *WSP dmarc-uri)
//! dmarc-furi      = "ruf" *WSP "=" *WSP dmarc-uri *(*WSP "," *WSP dmarc-uri)
//! dmarc-adkim     = "adkim" *WSP "=" *WSP ( "r" / "s" )
//! dmarc-aspf      = "aspf" *WSP "=" *WSP ( "r" / "s" )
//! dmarc-ainterval = "ri" *WSP "=" *WSP 1*DIGIT
//! dmarc-fo        = "fo" *WSP "=" *WSP ( "0" / "1" / "d" / "s" )
//!                   *(*WSP ":" *WSP ( "0" / "1" / "d" / "s" ))
//! dmarc-rfmt      = "rf" *WSP "=" *WSP Keyword *(*WSP ":" Keyword)
//! dmarc-percent   = "pct" *WSP "=" *WSP 1*3DIGIT
//! dmarc-uri       = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]
//! ; RFC 9989:
//! dmarc-nprequest = "np" *WSP "=" *WSP ( "none" / "quarantine" / "reject" )
//! dmarc-test      = "t" *WSP "=" *WSP ( "y" / "n" )
//! dmarc-psd       = "psd" *WSP "=" *WSP ( "y" / "n" / "u" )
//! ```
//!
//! `%x44 %x4d ...` spells `DMARC1` case-sensitively; quoted literals (tag names,
//! policy words) are case-insensitive (RFC 5234 §2.3), and so are they here.

use std::fmt;

use crate::error::RecordError;
use crate::status::Status;

/// A DMARC policy (`p`, `sp`, `np`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// `none`.
    None,
    /// `quarantine`.
    Quarantine,
    /// `reject`.
    Reject,
}

impl Policy {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }
}

/// Identifier alignment mode (`adkim`, `aspf`; RFC 7489 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alignment {
    /// `r`: relaxed.
    Relaxed,
    /// `s`: strict.
    Strict,
}

impl Alignment {
    /// The tag value.
    pub fn label(&self) -> &'static str {
        match self {
            Alignment::Relaxed => "r",
            Alignment::Strict => "s",
        }
    }
}

/// The `psd` flag (RFC 9989): public suffix domain yes / no / unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Psd {
    /// `y`.
    Yes,
    /// `n`.
    No,
    /// `u`.
    Unknown,
}

impl Psd {
    /// The tag value.
    pub fn label(&self) -> &'static str {
        match self {
            Psd::Yes => "y",
            Psd::No => "n",
            Psd::Unknown => "u",
        }
    }
}

/// One `rua`/`ruf` destination (RFC 7489 §6.2 `dmarc-uri`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportUri {
    /// The URI without the size limit.
    pub uri: String,
    /// The `!size` suffix without the `!` (digits and an optional unit), if any.
    pub size_limit: Option<String>,
}

impl fmt::Display for ReportUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)?;
        if let Some(limit) = &self.size_limit {
            write!(f, "!{limit}")?;
        }
        Ok(())
    }
}

/// A parsed DMARC record. Optional tags are `None` when not published, so the
/// census reports what was published, not the defaults a receiver would apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DmarcRecord {
    /// `p`.
    pub p: Option<Policy>,
    /// `sp`.
    pub sp: Option<Policy>,
    /// `np` (RFC 9989).
    pub np: Option<Policy>,
    /// `pct` (RFC 7489; removed by RFC 9989).
    pub pct: Option<u8>,
    /// `t` (RFC 9989 test mode).
    pub t: Option<bool>,
    /// `psd` (RFC 9989).
    pub psd: Option<Psd>,
    /// `adkim`.
    pub adkim: Option<Alignment>,
    /// `aspf`.
    pub aspf: Option<Alignment>,
    /// `fo`: the failure-reporting options (`0`, `1`, `d`, `s`), in order.
    pub fo: Option<Vec<char>>,
    /// `ri` (RFC 7489; removed by RFC 9989).
    pub ri: Option<u32>,
    /// `rf` (RFC 7489; removed by RFC 9989).
    pub rf: Option<Vec<String>>,
    /// `rua`.
    pub rua: Vec<ReportUri>,
    /// `ruf`.
    pub ruf: Vec<ReportUri>,
}

impl fmt::Display for DmarcRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=DMARC1")?;
        let policies = [("p", self.p), ("sp", self.sp), ("np", self.np)];
        for (name, policy) in policies {
            if let Some(policy) = policy {
                write!(f, "; {name}={}", policy.label())?;
            }
        }
        if let Some(pct) = self.pct {
            write!(f, "; pct={pct}")?;
        }
        if let Some(t) = self.t {
            write!(f, "; t={}", if t { "y" } else { "n" })?;
        }
        if let Some(psd) = self.psd {
            write!(f, "; psd={}", psd.label())?;
        }
        for (name, alignment) in [("adkim", self.adkim), ("aspf", self.aspf)] {
            if let Some(alignment) = alignment {
                write!(f, "; {name}={}", alignment.label())?;
            }
        }
        if let Some(fo) = &self.fo {
            let options: Vec<String> = fo.iter().map(char::to_string).collect();
            write!(f, "; fo={}", options.join(":"))?;
        }
        if let Some(ri) = self.ri {
            write!(f, "; ri={ri}")?;
        }
        if let Some(rf) = &self.rf {
            write!(f, "; rf={}", rf.join(":"))?;
        }
        for (name, list) in [("rua", &self.rua), ("ruf", &self.ruf)] {
            if !list.is_empty() {
                let uris: Vec<String> = list.iter().map(ToString::to_string).collect();
                write!(f, "; {name}={}", uris.join(","))?;
            }
        }
        Ok(())
    }
}

/// A DMARC record as a receiver reads it ([`super::read`]): the tags that
/// parse, what was dropped and why, and the policy that applies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DmarcReading {
    /// The tags that parse. A malformed tag is left out on its own (for
    /// `rua` and `ruf`, only the malformed URIs); so is a repeated tag whose
    /// occurrences disagree. Equal to what [`super::parse`] returns when
    /// `errors` is empty.
    pub record: DmarcRecord,
    /// Why each dropped part was dropped, in record order; empty exactly
    /// when the record parses per its RFC.
    pub errors: Vec<RecordError>,
    /// `rua` items as published (every occurrence, trimmed, `!size` kept),
    /// malformed ones included: the `dmarc_rua` column.
    pub rua: Vec<String>,
    /// `ruf` items as published: the `dmarc_ruf` column.
    pub ruf: Vec<String>,
    /// The `p` receivers apply (RFC 7489 §6.6.3 step 6, see [`super::read`]).
    pub p: Option<Policy>,
    /// The `sp` receivers apply; `None` when not published (receivers then
    /// use `p`) or when no policy applies.
    pub sp: Option<Policy>,
    /// The `np` receivers apply (RFC 9989); `None` as for `sp`.
    pub np: Option<Policy>,
}

/// The `dmarc_*` columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcPosture {
    /// `dmarc_status`.
    pub status: Status,
    /// `dmarc_record`: the selected `v=DMARC1` record (strings joined) when
    /// selection leaves exactly one; `None` when it leaves none or several.
    pub record: Option<String>,
    /// `dmarc_error`.
    pub error: Option<String>,
    /// `dmarc_p`: the policy receivers apply ([`DmarcReading::p`]), whatever
    /// else in the record is broken.
    pub p: Option<Policy>,
    /// `dmarc_sp`: as applied ([`DmarcReading::sp`]).
    pub sp: Option<Policy>,
    /// `dmarc_np` (RFC 9989): as applied ([`DmarcReading::np`]).
    pub np: Option<Policy>,
    /// `dmarc_pct` (RFC 7489; removed by RFC 9989 but kept for measurement).
    pub pct: Option<i32>,
    /// `dmarc_t` (RFC 9989 test flag).
    pub t: Option<bool>,
    /// `dmarc_rua`: the URIs as published, malformed ones included.
    pub rua: Vec<String>,
    /// `dmarc_ruf`: the URIs as published, malformed ones included.
    pub ruf: Vec<String>,
    /// `dmarc_rua_authorized`: every external destination authorised
    /// (RFC 7489 §7.1); `None` when no destination is external, or when no
    /// destination is known to be unauthorised but a lookup failed.
    pub rua_authorized: Option<bool>,
    /// Remarks on a record that is valid but uses what RFC 9989 removed
    /// (`pct`, `ri`, `rf`) or relies on an RFC 9989 change (no `p`). Not a
    /// contract column (yet); empty for any other status.
    pub notes: Vec<String>,
}

impl DmarcPosture {
    /// No DMARC record.
    pub fn absent() -> Self {
        DmarcPosture {
            status: Status::Absent,
            record: None,
            error: None,
            p: None,
            sp: None,
            np: None,
            pct: None,
            t: None,
            rua: Vec::new(),
            ruf: Vec::new(),
            rua_authorized: None,
            notes: Vec::new(),
        }
    }
}
