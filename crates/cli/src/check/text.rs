//! The text form of `mailcensus check`: one section per protocol, each with
//! its status, the records as published, and its findings.
//!
//! [`render`] is a pure function of the evidence, the posture and the
//! findings, so golden files can pin it. Every string that came from DNS
//! (records, names, error texts quoting them) goes through
//! [`escape`](super::escape::escape) before it is written; colour and
//! symbols come only from [`Style`].

use std::fmt::Write as _;

use mailcensus_posture::bimi::{self, BimiStatus};
use mailcensus_posture::dkim::{self, DkimStatus};
use mailcensus_posture::dnssec::DnssecStatus;
use mailcensus_posture::findings::{self, BranchState, Finding, Protocol, Severity, SpfBranch};
use mailcensus_posture::mx::MxStatus;
use mailcensus_posture::spf::Selection;
use mailcensus_posture::{
    DomainEvidence, Lookup, Outcome, Posture, Resolution, Status, TlsaRecord, TxtRecord, dmarc,
    mta_sts, spf, tlsrpt,
};

use super::escape::{MAX_SHOWN, escape, escape_cut};

/// How the output may decorate: colour (ANSI SGR) and symbols (✓ ✗ and the
/// tree's box drawing). Both off gives plain ASCII structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Unicode symbols.
    pub symbols: bool,
}

/// How a status or a severity reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    Good,
    Bad,
    Weak,
    Unknown,
    Neutral,
}

impl Style {
    fn paint(&self, text: &str, tone: Tone) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Bad => "31",
            Tone::Weak => "33",
            Tone::Unknown => "35",
            Tone::Neutral => return text.to_owned(),
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    fn bold(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn symbol(&self, tone: Tone) -> &'static str {
        if !self.symbols {
            return "";
        }
        match tone {
            Tone::Good => "✓ ",
            Tone::Bad => "✗ ",
            Tone::Weak => "! ",
            Tone::Unknown => "? ",
            Tone::Neutral => "· ",
        }
    }

    /// A status label with its symbol and colour.
    fn status(&self, label: &str, tone: Tone) -> String {
        self.paint(&format!("{}{label}", self.symbol(tone)), tone)
    }

    fn tree(&self) -> (&'static str, &'static str, &'static str, &'static str) {
        if self.symbols {
            ("├─ ", "└─ ", "│  ", "   ")
        } else {
            ("|- ", "`- ", "|  ", "   ")
        }
    }
}

fn status_tone(label: &str) -> Tone {
    match label {
        "valid" | "present" | "secure" | "likely" | "null_mx" => Tone::Good,
        "invalid" | "bogus" => Tone::Bad,
        "error" => Tone::Unknown,
        "absent" | "insecure" | "unknown" | "declined" => Tone::Weak,
        _ => Tone::Neutral,
    }
}

fn severity_tone(severity: Severity) -> Tone {
    match severity {
        Severity::High => Tone::Bad,
        Severity::Medium => Tone::Weak,
        Severity::Unknown => Tone::Unknown,
        Severity::Low | Severity::Info => Tone::Neutral,
    }
}

/// Indentation of a section's details, past its label column.
const DETAIL: &str = "             ";
/// Width of the section label column.
const LABEL_WIDTH: usize = 11;
/// Most tree lines shown: a hostile tree stays readable.
const MAX_TREE_LINES: usize = 60;
/// Most records listed per name.
const MAX_RECORDS: usize = 10;

/// A string from DNS, escaped and quoted.
fn quoted(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

/// Lines of text, written with `writeln!` into a `String` (which cannot
/// fail).
struct Out {
    text: String,
    style: Style,
}

impl Out {
    fn line(&mut self, line: impl AsRef<str>) {
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }

    fn detail(&mut self, line: impl AsRef<str>) {
        let _ = writeln!(self.text, "{DETAIL}{}", line.as_ref());
    }

    fn section(&mut self, name: &str, status: Option<&str>, note: &str) {
        let padded = format!("  {name:<LABEL_WIDTH$}");
        let status = match status {
            Some(label) => self.style.status(label, status_tone(label)),
            None => "not checked".to_owned(),
        };
        let note = if note.is_empty() {
            String::new()
        } else {
            format!("  {note}")
        };
        let line = format!("{}{status}{note}", self.style.bold(&padded));
        self.line(line);
    }

    fn findings(&mut self, found: &[Finding], protocol: Protocol) {
        for finding in found.iter().filter(|f| f.protocol() == protocol) {
            let tone = severity_tone(finding.severity());
            let head = format!(
                "{}[{}] {}  ({})",
                self.style.symbol(tone),
                finding.severity().label(),
                finding.code.label(),
                finding.rfc()
            );
            let head = self.style.paint(&head, tone);
            self.detail(head);
            // Messages quote DNS text: escaped like any other.
            self.detail(format!("  {}", escape_cut(&finding.message, 4 * MAX_SHOWN)));
            if !finding.why.is_empty() {
                self.detail(format!(
                    "  Why: {}",
                    escape_cut(&finding.why, 4 * MAX_SHOWN)
                ));
            }
            if !finding.fix.is_empty() {
                self.detail(format!(
                    "  Fix: {}",
                    escape_cut(&finding.fix, 4 * MAX_SHOWN)
                ));
            }
        }
    }
}

/// The text for one domain.
pub fn render(
    evidence: &DomainEvidence,
    posture: &Posture,
    found: &[Finding],
    style: Style,
) -> String {
    let mut out = Out {
        text: String::new(),
        style,
    };
    let domain = escape(&evidence.domain);
    out.line(style.bold(&domain));
    out.line(format!("  {}", summary(found)));
    match posture.resolution {
        Resolution::NxDomain => {
            out.line("");
            out.section("Domain", Some("nxdomain"), "");
            out.findings(found, Protocol::Domain);
            return out.text;
        }
        Resolution::Error => {
            out.line("");
            out.section("Domain", Some("error"), "no query could be answered");
            out.findings(found, Protocol::Domain);
        }
        Resolution::Ok => {}
    }
    out.line("");
    mx(&mut out, evidence, posture);
    out.findings(found, Protocol::Mx);
    spf_section(&mut out, evidence, posture);
    out.findings(found, Protocol::Spf);
    dmarc_section(&mut out, evidence, posture);
    out.findings(found, Protocol::Dmarc);
    dnssec(&mut out, evidence, posture);
    out.findings(found, Protocol::Dnssec);
    dane(&mut out, evidence, posture);
    out.findings(found, Protocol::Dane);
    policy_txt(
        &mut out,
        "MTA-STS",
        posture.mta_sts.map(|s| s.label()),
        &format!("_mta-sts.{}", evidence.domain),
        evidence.mta_sts.as_ref(),
        ("v=STSv1", mta_sts::is_candidate),
    );
    out.findings(found, Protocol::MtaSts);
    policy_txt(
        &mut out,
        "TLS-RPT",
        posture.tlsrpt.map(|s| s.label()),
        &format!("_smtp._tls.{}", evidence.domain),
        evidence.tlsrpt.as_ref(),
        ("v=TLSRPTv1", tlsrpt::is_candidate),
    );
    out.findings(found, Protocol::Tlsrpt);
    bimi(&mut out, evidence, posture);
    out.findings(found, Protocol::Bimi);
    dkim_section(&mut out, evidence, posture);
    out.findings(found, Protocol::Dkim);
    out.text
}

/// "3 findings: 1 high, 2 medium" / "no findings".
fn summary(found: &[Finding]) -> String {
    if found.is_empty() {
        return "no findings".to_owned();
    }
    let order = [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
        Severity::Unknown,
    ];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|severity| {
            let n = found.iter().filter(|f| f.severity() == *severity).count();
            (n > 0).then(|| format!("{n} {}", severity.label()))
        })
        .collect();
    let n = found.len();
    format!(
        "{n} finding{}: {}",
        if n == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

/// How a lookup without records ended, for a detail line.
fn negative(outcome: Outcome) -> String {
    match outcome {
        Outcome::NoData => "no records (NODATA)".to_owned(),
        Outcome::NxDomain => "the name does not exist (NXDOMAIN)".to_owned(),
        Outcome::Failed(failure) => format!("the answer could not be obtained ({failure})"),
        _ => "records".to_owned(),
    }
}

fn mx(out: &mut Out, evidence: &DomainEvidence, posture: &Posture) {
    let status = posture.mx.as_ref().map(|m| m.status.label());
    let note = match posture.mx.as_ref().map(|m| m.status) {
        Some(MxStatus::NullMx) => "the domain accepts no mail (RFC 7505)",
        Some(MxStatus::Error) => "could not be determined",
        _ => "",
    };
    out.section("MX", status, note);
    match &evidence.mx {
        Some(Lookup::Records(records)) => {
            let mut records: Vec<(u16, &str)> = records
                .iter()
                .map(|r| (r.preference, r.exchange.as_str()))
                .collect();
            records.sort();
            for (preference, exchange) in records.iter().take(MAX_RECORDS) {
                let host = match exchange.trim_end_matches('.') {
                    "" => ".",
                    host => host,
                };
                out.detail(format!("{preference} {}", escape(host)));
            }
            if records.len() > MAX_RECORDS {
                out.detail(format!("… and {} more", records.len() - MAX_RECORDS));
            }
        }
        Some(other) => out.detail(format!(
            "MX {}: {}",
            escape(&evidence.domain),
            negative(other.outcome())
        )),
        None => {}
    }
}

fn spf_section(out: &mut Out, evidence: &DomainEvidence, posture: &Posture) {
    let spf_posture = posture.spf.as_ref();
    let note = match spf_posture.map(|s| s.status) {
        Some(Status::Error) => "could not be determined",
        _ => "",
    };
    out.section("SPF", spf_posture.map(|s| s.status.label()), note);
    let domain = escape(&evidence.domain);
    let Some(apex) = &evidence.apex_txt else {
        return;
    };
    let records = match apex {
        Lookup::Records(records) => records,
        other => {
            out.detail(format!("TXT {domain}: {}", negative(other.outcome())));
            return;
        }
    };
    match spf::select(records) {
        Selection::One(text) => out.detail(quoted(&text)),
        Selection::Several(found) => {
            for text in found.iter().take(MAX_RECORDS) {
                out.detail(quoted(text));
            }
        }
        Selection::None => out.detail(format!(
            "no SPF record among the {} TXT record{} at {domain}",
            records.len(),
            if records.len() == 1 { "" } else { "s" }
        )),
    }
    if let Some(spf) = spf_posture {
        let mut facts = Vec::new();
        // The columns' counts stop at the first lookup past the limit; over
        // it, the tree below gives the whole count.
        match spf.lookups {
            Some(n) if n > spf::MAX_LOOKUPS => facts.push(format!(
                "over the limit of {} DNS lookups",
                spf::MAX_LOOKUPS
            )),
            Some(n) => facts.push(format!(
                "{n} DNS lookup{} (limit {})",
                if n == 1 { "" } else { "s" },
                spf::MAX_LOOKUPS
            )),
            None => {}
        }
        match spf.void_lookups {
            Some(n) if n > spf::MAX_VOID_LOOKUPS => facts.push(format!(
                "over the limit of {} void lookups",
                spf::MAX_VOID_LOOKUPS
            )),
            Some(n) => facts.push(format!(
                "{n} void lookup{} (limit {})",
                if n == 1 { "" } else { "s" },
                spf::MAX_VOID_LOOKUPS
            )),
            None => {}
        }
        if let Some(all) = spf.all {
            facts.push(format!("ends with {}", all.label()));
        }
        if !facts.is_empty() {
            out.detail(facts.join(", "));
        }
    }
    if let Some((root, _)) = findings::spf_tree(evidence)
        && root
            .children
            .iter()
            .any(|c| !matches!(c.state, BranchState::Mechanism(_)))
    {
        out.detail("include tree (lookups per branch):");
        let mut lines = Vec::new();
        lines.push(format!("{}  {}", escape(&root.term), lookups(&root)));
        tree_lines(&root, "", out.style, &mut lines);
        let total = lines.len();
        for line in lines.into_iter().take(MAX_TREE_LINES) {
            out.detail(format!("  {line}"));
        }
        if total > MAX_TREE_LINES {
            out.detail(format!("  … {} more lines", total - MAX_TREE_LINES));
        }
    }
}

fn lookups(branch: &SpfBranch) -> String {
    let n = branch.lookups;
    let word = if n == 1 { "lookup" } else { "lookups" };
    if branch.partial {
        format!("at least {n} {word}")
    } else {
        format!("{n} {word}")
    }
}

fn branch_note(branch: &SpfBranch) -> String {
    match &branch.state {
        BranchState::Record(_) => String::new(),
        BranchState::NoRecord(Outcome::Answer) => "  (no SPF record among its TXT)".to_owned(),
        BranchState::NoRecord(outcome) => format!("  (no SPF record: {})", outcome.label()),
        BranchState::Several(n) => format!("  ({n} SPF records)"),
        BranchState::Unparsable(err) => format!("  (does not parse: {})", escape(err)),
        BranchState::Failed(failure) => format!("  (could not be obtained: {failure})"),
        BranchState::NotLookedUp => "  (not looked up: past the limit)".to_owned(),
        BranchState::Macro => "  (macro: depends on the sender)".to_owned(),
        BranchState::Loop => "  (loop)".to_owned(),
        BranchState::Mechanism(Some(outcome @ (Outcome::NoData | Outcome::NxDomain))) => {
            format!("  (void: {})", outcome.label())
        }
        BranchState::Mechanism(Some(Outcome::Failed(failure))) => {
            format!("  (could not be obtained: {failure})")
        }
        BranchState::Mechanism(_) => String::new(),
        _ => String::new(),
    }
}

fn tree_lines(branch: &SpfBranch, prefix: &str, style: Style, lines: &mut Vec<String>) {
    let (mid, last, bar, blank) = style.tree();
    let n = branch.children.len();
    for (i, child) in branch.children.iter().enumerate() {
        let is_last = i + 1 == n;
        lines.push(format!(
            "{prefix}{}{}  {}{}",
            if is_last { last } else { mid },
            escape(&child.term),
            lookups(child),
            branch_note(child)
        ));
        if lines.len() > MAX_TREE_LINES {
            return;
        }
        let deeper = format!("{prefix}{}", if is_last { blank } else { bar });
        tree_lines(child, &deeper, style, lines);
    }
}

fn dmarc_section(out: &mut Out, evidence: &DomainEvidence, posture: &Posture) {
    let dmarc_posture = posture.dmarc.as_ref();
    let note = match dmarc_posture.map(|d| d.status) {
        Some(Status::Error) => "could not be determined",
        _ => "",
    };
    out.section("DMARC", dmarc_posture.map(|d| d.status.label()), note);
    let name = escape(&format!("_dmarc.{}", evidence.domain));
    let Some(lookup) = &evidence.dmarc else {
        return;
    };
    let records = match lookup {
        Lookup::Records(records) => records,
        other => {
            out.detail(format!("TXT {name}: {}", negative(other.outcome())));
            return;
        }
    };
    let texts: Vec<String> = records.iter().map(TxtRecord::joined).collect();
    for text in texts
        .iter()
        .filter(|t| dmarc::is_candidate(t))
        .take(MAX_RECORDS)
    {
        out.detail(quoted(text));
    }
    for text in texts
        .iter()
        .filter(|t| !dmarc::is_candidate(t))
        .take(MAX_RECORDS)
    {
        out.detail(format!("discarded (not v=DMARC1): {}", quoted(text)));
    }
    let Some(d) = dmarc_posture else {
        return;
    };
    if d.record.is_some() {
        let mut applied = match d.p {
            Some(p) => format!("receivers apply p={}", p.label()),
            None => "receivers apply no policy".to_owned(),
        };
        for (tag, policy) in [("sp", d.sp), ("np", d.np)] {
            if let Some(policy) = policy {
                let _ = write!(applied, ", {tag}={}", policy.label());
            }
        }
        if let Some(pct) = d.pct {
            let _ = write!(applied, ", pct={pct}");
        }
        if d.t == Some(true) {
            applied.push_str(", test mode (t=y)");
        }
        out.detail(applied);
        if !d.rua.is_empty() {
            let rua: Vec<String> = d.rua.iter().map(|u| escape(u)).collect();
            out.detail(format!("aggregate reports (rua): {}", rua.join(", ")));
        }
        if !d.ruf.is_empty() {
            let ruf: Vec<String> = d.ruf.iter().map(|u| escape(u)).collect();
            out.detail(format!("failure reports (ruf): {}", ruf.join(", ")));
        }
        match d.rua_authorized {
            Some(true) => out.detail("external report destinations: authorised"),
            Some(false) => out.detail("external report destinations: not all authorised"),
            None => {}
        }
    }
}

fn dnssec(out: &mut Out, evidence: &DomainEvidence, posture: &Posture) {
    let d = posture.dnssec.as_ref();
    let note = match d.map(|d| d.status) {
        Some(DnssecStatus::Bogus) => "validation fails",
        Some(DnssecStatus::Error) => "could not be determined",
        _ => "",
    };
    out.section("DNSSEC", d.map(|d| d.status.label()), note);
    let Some(d) = d else {
        return;
    };
    if let Some(ev) = &evidence.dnssec {
        let ds = match &ev.ds {
            Lookup::Records(algorithms) => {
                let mut algorithms = algorithms.clone();
                algorithms.sort_unstable();
                algorithms.dedup();
                let list: Vec<String> = algorithms.iter().map(u8::to_string).collect();
                format!("DS at the parent: algorithm {}", list.join(", "))
            }
            other => format!("DS at the parent: {}", negative(other.outcome())),
        };
        out.detail(ds);
    }
    if !d.algorithms.is_empty() {
        let list: Vec<String> = d.algorithms.iter().map(u8::to_string).collect();
        out.detail(format!("DNSKEY algorithms: {}", list.join(", ")));
    }
    if let Some(reason) = &d.reason {
        out.detail(format!(
            "reason (RFC 8914 Extended DNS Error): {}",
            escape(reason)
        ));
    }
}

fn tlsa_text(record: &TlsaRecord) -> String {
    let hex: String = record
        .data
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let more = if record.data.len() > 8 { "…" } else { "" };
    format!(
        "{} {} {} {hex}{more} ({} bytes)",
        record.usage,
        record.selector,
        record.matching_type,
        record.data.len()
    )
}

fn dane(out: &mut Out, evidence: &DomainEvidence, posture: &Posture) {
    let note = match posture.dane {
        Some(Status::Error) => "could not be determined",
        _ => "",
    };
    out.section("DANE", posture.dane.map(|s| s.label()), note);
    let Some(mx) = &posture.mx else {
        return;
    };
    if mx.hosts.is_empty() {
        if mx.status != MxStatus::Error {
            out.detail("no MX host to protect");
        }
        return;
    }
    out.detail(format!(
        "MX records validated (AD): {}",
        if evidence.mx_authenticated {
            "yes"
        } else {
            "no"
        }
    ));
    for host in mx.hosts.iter().take(MAX_RECORDS) {
        let name = escape(&format!("_25._tcp.{host}"));
        match evidence.tlsa.get(host).map(|v| v.as_ref()) {
            None => out.detail(format!("{name}: not looked up")),
            Some(tlsa) => match &tlsa.lookup {
                Lookup::Records(records) => {
                    let validated = if tlsa.authenticated {
                        "validated"
                    } else {
                        "NOT validated"
                    };
                    out.detail(format!("{name}: TLSA, {validated}"));
                    for record in records.iter().take(MAX_RECORDS) {
                        out.detail(format!("  {}", tlsa_text(record)));
                    }
                }
                other => out.detail(format!("{name}: {}", negative(other.outcome()))),
            },
        }
    }
}

/// The TXT records at a policy name (MTA-STS, TLS-RPT).
fn policy_txt(
    out: &mut Out,
    label: &str,
    status: Option<&str>,
    name: &str,
    lookup: Option<&Lookup<TxtRecord>>,
    version: Version,
) {
    let note = if status == Some("error") {
        "could not be determined"
    } else {
        ""
    };
    out.section(label, status, note);
    txt_records(out, name, lookup, version);
}

/// A protocol's version tag and the selection that keeps its records
/// (RFC 8461 §3.1, RFC 8460 §3, BIMI §4.2): other TXT records at the name
/// are shown as discarded.
type Version = (&'static str, fn(&str) -> bool);

fn txt_records(out: &mut Out, name: &str, lookup: Option<&Lookup<TxtRecord>>, version: Version) {
    let name = escape(name);
    let (tag, is_candidate) = version;
    match lookup {
        Some(Lookup::Records(records)) => {
            for record in records.iter().take(MAX_RECORDS) {
                let text = record.joined();
                if is_candidate(&text) {
                    out.detail(format!("{name}: {}", quoted(&text)));
                } else {
                    out.detail(format!("{name}: discarded (not {tag}): {}", quoted(&text)));
                }
            }
        }
        Some(other) => out.detail(format!("TXT {name}: {}", negative(other.outcome()))),
        None => {}
    }
}

fn bimi(out: &mut Out, evidence: &DomainEvidence, posture: &Posture) {
    let b = posture.bimi.as_ref();
    let note = match b.map(|b| b.status) {
        Some(BimiStatus::Error) => "could not be determined",
        Some(BimiStatus::Declined) => "the domain declines to show a logo",
        _ => "",
    };
    out.section("BIMI", b.map(|b| b.status.label()), note);
    txt_records(
        out,
        &format!("default._bimi.{}", evidence.domain),
        evidence.bimi.as_ref(),
        ("v=BIMI1", bimi::is_candidate),
    );
    if let Some(b) = b {
        if let Some(logo) = &b.logo {
            out.detail(format!("logo: {}", escape(logo)));
        }
        if let Some(authority) = &b.authority {
            out.detail(format!("evidence document: {}", escape(authority)));
        }
    }
}

fn dkim_section(out: &mut Out, evidence: &DomainEvidence, posture: &Posture) {
    let note = match posture.dkim {
        Some(DkimStatus::Likely) => "keys are likely published (selectors cannot be listed)",
        Some(DkimStatus::Absent) => "no key can exist below _domainkey",
        Some(DkimStatus::Unknown) => "the zone answers every name: the hint says nothing",
        Some(DkimStatus::Error) => "could not be determined",
        None => "",
    };
    out.section("DKIM hint", posture.dkim.map(|s| s.label()), note);
    let Some(ev) = &evidence.dkim else {
        return;
    };
    let name = escape(&format!("_domainkey.{}", evidence.domain));
    out.detail(format!("TXT {name}: {}", outcome_text(ev.domainkey)));
    if let Some(below) = &ev.nonexistent {
        out.detail(format!(
            "TXT {}.{name}: {}",
            dkim::NONEXISTENT_LABEL,
            outcome_text(below.outcome())
        ));
    }
}

fn outcome_text(outcome: Outcome) -> String {
    match outcome {
        Outcome::Answer => "answered with records".to_owned(),
        other => negative(other),
    }
}
