//! Queries in wire form: the names we ask about, the question, the
//! encoded query, and the check that a response answers that question.
//!
//! Names are parsed once per domain (with hickory's parser: escapes, label
//! and name limits) and the probe names (`_dmarc.<d>`, `_mta-sts.<d>`, …)
//! are built by prepending labels to the wire form, so no text is parsed
//! per query. A query is header, question and OPT record, written directly:
//! it holds one name, so nothing can be compressed, and a general message
//! encoder (a name table, one call per field) was the engine's largest
//! user-space cost after decoding (callgrind: ~3,200 instructions a query,
//! now a few hundred). A test holds the bytes equal to hickory's encoding.
//! A response is matched by comparing its question's bytes with ours,
//! without decoding a name per answer.

use hickory_proto::rr::{DNSClass, Name, RecordType};

use crate::transport::EDNS_PAYLOAD;

/// RFC 1035 §2.3.4: a label is at most 63 octets.
const MAX_LABEL: usize = 63;

/// RFC 1035 §2.3.4: a name is at most 255 octets in wire form.
const MAX_NAME: usize = 255;

/// RFC 1035 §4.1.1: the header is 12 octets.
pub(crate) const HEADER_LEN: usize = 12;

/// An OPT pseudo-record without options (RFC 6891 §6.1.2): root owner (1),
/// type (2), class (2), TTL (4), RDLENGTH (2).
const OPT_LEN: usize = 11;

/// A domain name in uncompressed wire form (RFC 1035 §3.1): length-prefixed
/// labels ending with the root's empty label, at most 255 octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireName(Vec<u8>);

impl WireName {
    /// Parses presentation text (`example.com`, with or without the final
    /// dot, `\.` and `\DDD` escapes). `None` when DNS cannot carry it: a
    /// label over 63 octets, a name over 255, an empty label.
    pub fn from_text(text: &str) -> Option<WireName> {
        let name = Name::from_ascii(text).ok()?;
        let mut wire = Vec::with_capacity(MAX_NAME.min(text.len() + 2));
        for label in name.iter() {
            wire.push(u8::try_from(label.len()).ok()?);
            wire.extend_from_slice(label);
        }
        wire.push(0);
        (wire.len() <= MAX_NAME).then_some(WireName(wire))
    }

    /// `label` prepended: `_dmarc` and `example.com.` give
    /// `_dmarc.example.com.`. `label` is one label, taken as it is (no
    /// escapes); `None` when it is empty, over 63 octets, or the name would
    /// pass 255.
    pub fn child(&self, label: &str) -> Option<WireName> {
        let len = label.len();
        if len == 0 || len > MAX_LABEL || self.0.len() + 1 + len > MAX_NAME {
            return None;
        }
        let mut wire = Vec::with_capacity(self.0.len() + 1 + len);
        wire.push(u8::try_from(len).ok()?);
        wire.extend_from_slice(label.as_bytes());
        wire.extend_from_slice(&self.0);
        Some(WireName(wire))
    }

    /// `labels` prepended, the last one nearest the existing name:
    /// `["default", "_bimi"]` gives `default._bimi.<name>`.
    pub fn descendant(&self, labels: &[&str]) -> Option<WireName> {
        labels
            .iter()
            .rev()
            .try_fold(self.clone(), |name, label| name.child(label))
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A question (RFC 1035 §4.1.2) in wire form: QNAME, QTYPE, QCLASS IN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Question {
    bytes: Vec<u8>,
    name_len: usize,
}

impl Question {
    pub fn new(name: &WireName, qtype: RecordType) -> Self {
        let name = name.as_bytes();
        let mut bytes = Vec::with_capacity(name.len() + 4);
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(&u16::from(qtype).to_be_bytes());
        bytes.extend_from_slice(&u16::from(DNSClass::IN).to_be_bytes());
        Question {
            bytes,
            name_len: name.len(),
        }
    }

    /// The question's bytes, as sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `section` (a response's bytes just past its header) begins with this
    /// question: the name equal but for ASCII case (RFC 4343 §3; length
    /// octets are at most 63 and so never change under ASCII case folding),
    /// type and class equal. A response whose question uses a compression
    /// pointer does not match; no server compresses the first name of a
    /// message, since nothing before it could be pointed to.
    pub fn begins(&self, section: &[u8]) -> bool {
        let Some(candidate) = section.get(..self.bytes.len()) else {
            return false;
        };
        let (name, type_class) = candidate.split_at(self.name_len);
        let (our_name, our_type_class) = self.bytes.split_at(self.name_len);
        name.eq_ignore_ascii_case(our_name) && type_class == our_type_class
    }
}

/// What to ask.
#[derive(Debug, Clone)]
pub(crate) struct QuerySpec {
    pub question: Question,
    /// EDNS DO bit (RFC 3225): ask for DNSSEC records and AD.
    pub dnssec_ok: bool,
    /// CD bit (RFC 4035 §3.2.2): skip validation, to tell bogus from broken.
    pub checking_disabled: bool,
}

/// Encodes a recursive query with EDNS0 (RFC 6891), DO and CD as asked:
/// header (RFC 1035 §4.1.1), one question (§4.1.2) and the OPT record.
pub(crate) fn encode(id: u16, spec: &QuerySpec) -> Vec<u8> {
    let question = spec.question.as_bytes();
    let mut bytes = Vec::with_capacity(HEADER_LEN + question.len() + OPT_LEN);
    bytes.extend_from_slice(&id.to_be_bytes());
    // QR=0 (query), OPCODE=0, AA=0, TC=0, RD=1.
    bytes.push(0x01);
    // RA=0, Z=0, AD=0, CD as asked, RCODE=0.
    bytes.push(if spec.checking_disabled { 0x10 } else { 0x00 });
    // QDCOUNT=1, ANCOUNT=0, NSCOUNT=0, ARCOUNT=1 (the OPT record).
    bytes.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 1]);
    bytes.extend_from_slice(question);
    // OPT: root owner, TYPE 41, CLASS = our UDP payload size, TTL = extended
    // RCODE 0, VERSION 0, flags with DO (RFC 3225 §3) as asked, RDLENGTH 0.
    bytes.push(0);
    bytes.extend_from_slice(&u16::from(RecordType::OPT).to_be_bytes());
    bytes.extend_from_slice(&EDNS_PAYLOAD.to_be_bytes());
    bytes.extend_from_slice(&[0, 0]);
    bytes.push(if spec.dnssec_ok { 0x80 } else { 0x00 });
    bytes.extend_from_slice(&[0, 0, 0]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};

    fn name(text: &str) -> WireName {
        WireName::from_text(text).unwrap()
    }

    /// The direct encode must give exactly what encoding the same query as a
    /// hickory `Message` gives.
    #[test]
    fn encode_matches_hickory_message_encoding() {
        for (text, qtype, dnssec_ok, checking_disabled) in [
            ("example.mcdns.", RecordType::TXT, false, false),
            ("_dmarc.Example.MCDNS.", RecordType::TXT, false, false),
            ("a.b.c.d.e.f.example.", RecordType::MX, false, false),
            ("example.mcdns.", RecordType::DS, true, true),
            ("example.mcdns.", RecordType::DNSKEY, true, false),
            ("example.mcdns.", RecordType::DNSKEY, false, true),
            ("_25._tcp.mx.example.", RecordType::TLSA, false, false),
            ("a\\.b.example.", RecordType::TXT, false, false),
            (".", RecordType::NS, false, false),
        ] {
            let spec = QuerySpec {
                question: Question::new(&name(text), qtype),
                dnssec_ok,
                checking_disabled,
            };
            let mut message = Message::new(0xbeef, MessageType::Query, OpCode::Query);
            message.metadata.recursion_desired = true;
            message.metadata.checking_disabled = checking_disabled;
            let mut query = Query::query(Name::from_ascii(text).unwrap(), qtype);
            query.set_query_class(DNSClass::IN);
            message.add_query(query);
            let mut edns = Edns::new();
            edns.set_max_payload(EDNS_PAYLOAD);
            edns.set_dnssec_ok(dnssec_ok);
            message.set_edns(edns);
            assert_eq!(
                encode(0xbeef, &spec),
                message.to_vec().unwrap(),
                "{text} {qtype}"
            );
        }
    }

    #[test]
    fn probe_names_built_from_labels_equal_parsed_ones() {
        let apex = name("example.mcdns");
        assert_eq!(apex, name("example.mcdns."));
        assert_eq!(apex.child("_dmarc"), Some(name("_dmarc.example.mcdns.")));
        assert_eq!(
            apex.descendant(&["default", "_bimi"]),
            Some(name("default._bimi.example.mcdns."))
        );
        assert_eq!(apex.descendant(&[]), Some(apex.clone()));
        assert_eq!(name("."), WireName(vec![0]));
    }

    /// The limits of RFC 1035 §2.3.4 hold for parsed and for built names.
    #[test]
    fn names_dns_cannot_carry_are_refused() {
        let label63 = "a".repeat(63);
        assert!(WireName::from_text(&format!("{label63}.mcdns")).is_some());
        assert!(WireName::from_text(&format!("{}.mcdns", "a".repeat(64))).is_none());
        assert!(WireName::from_text("a..mcdns").is_none());
        // 4 × 63-octet labels: 4 × 64 + 1 = 257 octets.
        let long = [label63.as_str(); 4].join(".");
        assert!(WireName::from_text(&long).is_none());
        // Three labels of 63 and one of 61: 3 × 64 + 62 + 1 = 255 octets.
        let three = [label63.as_str(); 3].join(".");
        let longest = name(&format!("{}.{three}", "b".repeat(61)));
        assert_eq!(longest.as_bytes().len(), 255);
        let base = name(&three);
        assert_eq!(base.child(&"b".repeat(61)), Some(longest.clone()));
        assert_eq!(base.child(&"b".repeat(62)), None);
        assert_eq!(longest.child("x"), None);
        assert_eq!(base.child(""), None);
        assert_eq!(name("mcdns").child(&"c".repeat(64)), None);
    }

    #[test]
    fn a_question_matches_its_own_bytes_in_any_case_only() {
        let question = Question::new(&name("_dmarc.Example.mcdns"), RecordType::TXT);
        let mut response = question.as_bytes().to_vec();
        response.extend_from_slice(&[0xc0, 0x0c]); // what follows is not compared
        assert!(question.begins(&response));
        let upper: Vec<u8> = response.iter().map(u8::to_ascii_uppercase).collect();
        assert!(question.begins(&upper));
        let other_type = Question::new(&name("_dmarc.example.mcdns"), RecordType::MX);
        assert!(!other_type.begins(&response));
        let other_name = Question::new(&name("_dmarc.example.mcdnt"), RecordType::TXT);
        assert!(!other_name.begins(&response));
        // Cut short, or the question behind a compression pointer.
        assert!(!question.begins(&response[..response.len() - 3]));
        assert!(!question.begins(&[0xc0, 0x0c, 0, 16, 0, 1]));
        // Type 65 (0x0041) is not type 97 (0x0061): case folding applies to
        // the name only.
        let https = Question::new(&name("a.mcdns"), RecordType::HTTPS);
        let mut folded = https.as_bytes().to_vec();
        let type_low = folded.len() - 3;
        folded[type_low] = 0x61;
        assert!(!https.begins(&folded));
    }
}
