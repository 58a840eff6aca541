//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the corpus
//! replay test (`tests/fuzz_corpus.rs`), so that stable CI exercises exactly
//! what the fuzzer runs.
//!
//! Each function takes raw bytes and checks the invariants a fuzzer should
//! find violated: no panic anywhere (a panic is the finding), and for parsers
//! with `Display`, parse → display → parse gives the same record. A broken
//! invariant is returned as `Err`; the fuzz target turns it into a panic.
//!
//! Input layout: the parser sees the whole input as one record (bytes that are
//! not UTF-8 replaced, as [`TxtRecord::joined`] does); the classifier sees a
//! TXT RRset with one record per line (`\n`) and, within a line, one
//! character-string per `0x1F` (unit separator) piece.

use std::collections::HashMap;
use std::fmt::{Debug, Display};
use std::sync::Arc;

use crate::evidence::{Lookup, TxtRecord};
use crate::tags::{self, Syntax};
use crate::{bimi, dmarc, mta_sts, spf, tlsrpt};

/// A broken invariant.
pub type Finding = Result<(), String>;

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The TXT RRset the classifiers see (see the module docs).
pub fn txt_rrset(data: &[u8]) -> Lookup<TxtRecord> {
    Lookup::from_records(
        data.split(|b| *b == b'\n')
            .map(|line| TxtRecord::from_strings(line.split(|b| *b == 0x1f)))
            .collect(),
    )
}

fn round_trip<R, E>(input: &str, parse: impl Fn(&str) -> Result<R, E>) -> Finding
where
    R: Display + PartialEq + Debug,
    E: Debug,
{
    let Ok(record) = parse(input) else {
        return Ok(());
    };
    let shown = record.to_string();
    match parse(&shown) {
        Ok(again) if again == record => Ok(()),
        other => Err(format!(
            "round trip broke: {input:?} -> {record:?} -> {shown:?} -> {other:?}"
        )),
    }
}

/// The tag-list parser, both grammars.
pub fn tags(data: &[u8]) -> Finding {
    let input = text(data);
    for syntax in [Syntax::Dkim, Syntax::Strict] {
        if let Ok(list) = tags::parse(&input, syntax) {
            let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
            let joined = shown.join(";");
            let again = tags::parse(&joined, syntax);
            // Display drops the whitespace around `=`, which Strict forbids
            // anyway, so the round trip holds in both grammars.
            if again.as_ref() != Ok(&list) {
                return Err(format!("tags round trip broke: {input:?} -> {again:?}"));
            }
        }
    }
    Ok(())
}

/// SPF (h-spf's parser and classifier), targets unresolved.
pub fn spf(data: &[u8]) -> Finding {
    round_trip(&text(data), spf::parse)?;
    let rrset = txt_rrset(data);
    let _ = spf::targets_of(&rrset);
    let _ = spf::host_queries_of("example.com", &rrset);
    let txt: HashMap<String, Arc<Lookup<TxtRecord>>> = HashMap::new();
    let (a, mx) = (HashMap::new(), HashMap::new());
    let lookups = spf::SpfLookups {
        txt: &txt,
        a: &a,
        mx: &mx,
    };
    let _ = spf::classify("example.com", &rrset, lookups);
    Ok(())
}

/// DMARC: parser round trip, selection, authorisation names.
pub fn dmarc(data: &[u8]) -> Finding {
    round_trip(&text(data), dmarc::parse)?;
    let rrset = txt_rrset(data);
    let authorizations: HashMap<String, Lookup<TxtRecord>> =
        dmarc::authorization_names("example.com", &rrset)
            .into_iter()
            .map(|name| (name, Lookup::NoData))
            .collect();
    let posture = dmarc::classify("example.com", &rrset, &authorizations);
    if !authorizations.is_empty() && posture.rua_authorized != Some(false) {
        return Err(format!(
            "unauthorised destinations not reported: {:?}",
            posture.rua_authorized
        ));
    }
    Ok(())
}

/// BIMI: parser round trip and classifier.
pub fn bimi(data: &[u8]) -> Finding {
    round_trip(&text(data), bimi::parse)?;
    let _ = bimi::classify(&txt_rrset(data));
    Ok(())
}

/// MTA-STS: parser round trip and classifier.
pub fn mta_sts(data: &[u8]) -> Finding {
    round_trip(&text(data), mta_sts::parse)?;
    let _ = mta_sts::classify(&txt_rrset(data));
    Ok(())
}

/// TLS-RPT: parser round trip and classifier.
pub fn tlsrpt(data: &[u8]) -> Finding {
    round_trip(&text(data), tlsrpt::parse)?;
    let _ = tlsrpt::classify(&txt_rrset(data));
    Ok(())
}

/// A fuzz entry point.
pub type Entry = fn(&[u8]) -> Finding;

/// Every target by name, for the replay test.
pub const TARGETS: &[(&str, Entry)] = &[
    ("tags", tags),
    ("spf", spf),
    ("dmarc", dmarc),
    ("bimi", bimi),
    ("mta_sts", mta_sts),
    ("tlsrpt", tlsrpt),
];
