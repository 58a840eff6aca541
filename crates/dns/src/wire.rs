//! Queries in wire form: the names we ask about, the question, the
//! encoded query, and the check that a response answers that question.
//!
//! Names are parsed once per domain (with hickory's parser: escapes, label
//! and name limits) and the probe names (`_dmarc.<d>`, `_mta-sts.<d>`, …)
//! are built by prepending labels to the wire form, so no text is parsed
//! per query. A query is header, question and OPT record, written directly:
//! it holds one name, so nothing can be compressed, and a general message
//! encoder (a name table, one call per field) was the engine's largest
//! user-space cost after decoding (instruction counts in BENCHMARKS.md,
//! "Resolver engine"). A test holds the bytes equal to hickory's encoding.
//! A response is matched by comparing its question's bytes with ours,
//! without decoding a name per answer.

use hickory_proto::op::{Header, MessageType, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, DecodeError, Restrict};

/// The EDNS0 UDP payload size we advertise: large enough for most answers,
/// small enough to avoid IP fragmentation (DNS Flag Day 2020).
pub(crate) const EDNS_PAYLOAD: u16 = 1232;

/// RFC 1035 §2.3.4: a label is at most 63 octets.
const MAX_LABEL: usize = 63;

/// RFC 1035 §2.3.4: a name is at most 255 octets in wire form.
const MAX_NAME: usize = 255;

/// RFC 1035 §4.1.1: the header is 12 octets.
pub(crate) const HEADER_LEN: usize = 12;

/// An OPT pseudo-record without options (RFC 6891 §6.1.2): root owner (1),
/// type (2), class (2), TTL (4), RDLENGTH (2).
const OPT_LEN: usize = 11;

/// The EDNS option code of an Extended DNS Error (RFC 8914 §2).
const EDE_OPTION: u16 = 15;

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
    /// pass 255. (The engine prepends through [`WireName::descendant`].)
    #[cfg(test)]
    pub fn child(&self, label: &str) -> Option<WireName> {
        self.descendant(&[label])
    }

    /// `labels` prepended, the last one nearest the existing name:
    /// `["default", "_bimi"]` gives `default._bimi.<name>`. Each label as in
    /// [`WireName::child`]; built in one allocation.
    pub fn descendant(&self, labels: &[&str]) -> Option<WireName> {
        let prefix: usize = labels.iter().map(|label| label.len() + 1).sum();
        if self.0.len() + prefix > MAX_NAME {
            return None;
        }
        let mut wire = Vec::with_capacity(prefix + self.0.len());
        for label in labels {
            if label.is_empty() || label.len() > MAX_LABEL {
                return None;
            }
            wire.push(u8::try_from(label.len()).ok()?);
            wire.extend_from_slice(label.as_bytes());
        }
        wire.extend_from_slice(&self.0);
        Some(WireName(wire))
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
    qtype: RecordType,
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
            qtype,
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

/// What the engine reads of a response: the header flags it uses, the full
/// RCODE, the Extended DNS Error, and the records of the asked type in the
/// answer section.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Response {
    /// RCODE with the extended bits of the OPT record (RFC 6891 §6.1.3).
    pub response_code: ResponseCode,
    /// AD (RFC 4035 §3.2.3): the resolver validated the data.
    pub authentic_data: bool,
    /// TC (RFC 1035 §4.1.1): the answer did not fit; ask over TCP.
    pub truncation: bool,
    /// The INFO-CODE of the first Extended DNS Error option of the OPT
    /// record (RFC 8914 §2), why the resolver failed (or what it noticed);
    /// its EXTRA-TEXT is not kept.
    pub extended_error: Option<u16>,
    /// The answer section's records of the asked type, in order; a record
    /// of that type with empty data is [`RData::Update0`], as hickory's
    /// message decoder gives it.
    pub answers: Vec<RData>,
}

impl Response {
    /// A response with TC=1 and nothing else.
    pub fn truncated() -> Self {
        Response {
            response_code: ResponseCode::NoError,
            authentic_data: false,
            truncation: true,
            extended_error: None,
            answers: Vec::new(),
        }
    }

    /// Decodes a response already known to answer `question` (see
    /// [`Question::begins`]). The records of other types in the answer
    /// section (a CNAME before its target's records, RRSIGs with DO=1) and
    /// the whole authority section are walked, not decoded: nothing the
    /// engine classifies comes from them, and decoding every owner name and
    /// SOA was most of the cost of reading an answer. The additional section
    /// is walked for the OPT record: its extended RCODE, and the first
    /// Extended DNS Error among its options (see [`extended_error`]). Any
    /// field running past the end, a bad label, or record data that does not
    /// parse as its type fails the whole response; a malformed option inside
    /// an OPT RDATA that itself fits does not (the options are advisory).
    pub fn decode(bytes: &[u8], question: &Question) -> Result<Self, DecodeError> {
        let mut decoder = BinDecoder::new(bytes);
        let header = Header::read(&mut decoder)?;
        decoder.read_slice(question.bytes.len())?;
        let qtype = u16::from(question.qtype);
        let mut answers = Vec::new();
        for _ in 0..header.counts.answers {
            skip_name(&mut decoder)?;
            let (rtype, _, _, rdlength) = read_fixed(&mut decoder)?;
            if rtype != qtype {
                decoder.read_slice(usize::from(rdlength))?;
            } else if rdlength == 0 {
                answers.push(RData::Update0(RecordType::from(rtype)));
            } else {
                answers.push(RData::read(
                    &mut decoder,
                    RecordType::from(rtype),
                    Restrict::new(rdlength),
                )?);
            }
        }
        for _ in 0..header.counts.authorities {
            skip_name(&mut decoder)?;
            let (_, _, _, rdlength) = read_fixed(&mut decoder)?;
            decoder.read_slice(usize::from(rdlength))?;
        }
        let mut extended_rcode = 0;
        let mut ede = None;
        for _ in 0..header.counts.additionals {
            skip_name(&mut decoder)?;
            let (rtype, _, ttl, rdlength) = read_fixed(&mut decoder)?;
            let rdata = decoder
                .read_slice(usize::from(rdlength))?
                .unverified(/*options are checked by extended_error*/);
            if rtype == u16::from(RecordType::OPT) {
                // RFC 6891 §6.1.3: the TTL's first octet is the RCODE's upper
                // eight bits.
                extended_rcode = ttl.to_be_bytes()[0];
                ede = ede.or_else(|| extended_error(rdata));
            }
        }
        let metadata = header.metadata;
        Ok(Response {
            response_code: ResponseCode::from(extended_rcode, metadata.response_code.low()),
            authentic_data: metadata.authentic_data,
            truncation: metadata.truncation,
            extended_error: ede,
            answers,
        })
    }
}

/// The INFO-CODE of the first Extended DNS Error among the options of an OPT
/// RDATA (RFC 6891 §6.1.2: OPTION-CODE, OPTION-LENGTH, OPTION-DATA, repeated;
/// RFC 8914 §2: an EDE's data is a 16-bit INFO-CODE, then EXTRA-TEXT).
/// Options are read until one runs past the RDATA, which ends the reading
/// with what was found before it: a malformed option says nothing, and does
/// not make the answer unusable. An EDE shorter than its INFO-CODE is
/// skipped like any malformed option.
fn extended_error(mut options: &[u8]) -> Option<u16> {
    while let [code_hi, code_lo, len_hi, len_lo, rest @ ..] = options {
        let len = usize::from(u16::from_be_bytes([*len_hi, *len_lo]));
        let (data, next) = rest.split_at_checked(len)?;
        if u16::from_be_bytes([*code_hi, *code_lo]) == EDE_OPTION
            && let [info_hi, info_lo, ..] = data
        {
            return Some(u16::from_be_bytes([*info_hi, *info_lo]));
        }
        options = next;
    }
    None
}

/// A response carrying exactly one question: the only kind that can answer
/// one of our queries (RFC 5452 §9.1).
fn is_single_question_response(header: &Header) -> bool {
    header.metadata.message_type == MessageType::Response && header.counts.queries == 1
}

/// A response (`bytes`, whose header is `header`) answers the query that
/// asked `question`: one question, and it is the query's.
pub(crate) fn answers_query(header: &Header, bytes: &[u8], question: &Question) -> bool {
    is_single_question_response(header)
        && bytes
            .get(HEADER_LEN..)
            .is_some_and(|section| question.begins(section))
}

/// Steps over a name (RFC 1035 §4.1.4): labels up to the root label or a
/// compression pointer, which ends the name where it stands.
fn skip_name(decoder: &mut BinDecoder<'_>) -> Result<(), DecodeError> {
    loop {
        let len = decoder.read_u8()?.unverified(/*checked below*/);
        match len & 0xC0 {
            0x00 if len == 0 => return Ok(()),
            0x00 => {
                decoder.read_slice(usize::from(len))?;
            }
            0xC0 => {
                decoder.read_u8()?;
                return Ok(());
            }
            // 0x40 and 0x80: extended label types (RFC 6891 §5), never used.
            _ => return Err(DecodeError::UnrecognizedLabelCode(len)),
        }
    }
}

/// TYPE, CLASS, TTL and RDLENGTH of a record (RFC 1035 §4.1.3).
fn read_fixed(decoder: &mut BinDecoder<'_>) -> Result<(u16, u16, u32, u16), DecodeError> {
    let rtype = decoder.read_u16()?.unverified(/*any type may appear*/);
    let class = decoder.read_u16()?.unverified(/*OPT uses it as a size*/);
    let ttl = decoder.read_u32()?.unverified(/*any TTL*/);
    let rdlength = decoder.read_u16()?.unverified(/*bounded by read_slice*/);
    Ok((rtype, class, ttl, rdlength))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
    use hickory_proto::rr::rdata::opt::EdnsOption;

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

    /// A response to `question_text`/`qtype` as a server would build it:
    /// a CNAME and an RRSIG-like record of another type around the asked
    /// records, a SOA in authority, an OPT with `ext_rcode`.
    fn server_response(
        question_text: &str,
        qtype: RecordType,
        answers: Vec<RData>,
        ext_rcode: u8,
    ) -> Vec<u8> {
        server_response_with(question_text, qtype, answers, ext_rcode, Vec::new())
    }

    /// The same, with `options` in the OPT record, in order.
    fn server_response_with(
        question_text: &str,
        qtype: RecordType,
        answers: Vec<RData>,
        ext_rcode: u8,
        options: Vec<EdnsOption>,
    ) -> Vec<u8> {
        use hickory_proto::rr::Record;
        use hickory_proto::rr::rdata::{CNAME, SOA};
        let owner = Name::from_ascii(question_text).unwrap();
        let mut message = Message::new(7, MessageType::Response, OpCode::Query);
        message.metadata.authentic_data = true;
        message.add_query(Query::query(owner.clone(), qtype));
        let target = Name::from_ascii("target.mcdns.").unwrap();
        message.add_answer(Record::from_rdata(
            owner.clone(),
            60,
            RData::CNAME(CNAME(target.clone())),
        ));
        for data in answers {
            message.add_answer(Record::from_rdata(target.clone(), 60, data));
        }
        message.add_answer(Record::from_rdata(
            target.clone(),
            60,
            RData::Unknown {
                code: RecordType::Unknown(65_280),
                rdata: hickory_proto::rr::rdata::NULL::with(vec![1, 2, 3]),
            },
        ));
        message.add_authority(Record::from_rdata(
            Name::from_ascii("mcdns.").unwrap(),
            300,
            RData::SOA(SOA::new(
                Name::from_ascii("ns.mcdns.").unwrap(),
                Name::from_ascii("h.mcdns.").unwrap(),
                1,
                7200,
                3600,
                1_209_600,
                300,
            )),
        ));
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_PAYLOAD);
        for option in options {
            edns.options_mut().insert(option);
        }
        message.set_edns(edns);
        // hickory writes the upper bits into the OPT record (RFC 6891 §6.1.3).
        message.metadata.response_code = ResponseCode::from(ext_rcode, 0);
        message.to_vec().unwrap()
    }

    /// The lean decode keeps exactly what hickory's full decode holds of
    /// the asked type, with the same RCODE and flags.
    #[test]
    fn decode_keeps_what_a_full_decode_holds_of_the_asked_type() {
        use hickory_proto::rr::rdata::{MX, TXT};
        let mx = |pref, host: &str| RData::MX(MX::new(pref, Name::from_ascii(host).unwrap()));
        let txt = |text: &str| RData::TXT(TXT::new(vec![text.to_string(), "more".into()]));
        for (text, qtype, answers, ext_rcode) in [
            (
                "a.mcdns.",
                RecordType::TXT,
                vec![txt("v=spf1 -all"), txt("x")],
                0,
            ),
            (
                "a.mcdns.",
                RecordType::MX,
                vec![mx(10, "mx.a.mcdns."), mx(0, ".")],
                0,
            ),
            ("A.Mcdns.", RecordType::TXT, vec![], 0),
            ("a.mcdns.", RecordType::TXT, vec![txt("y")], 1),
        ] {
            let question = Question::new(&name(text), qtype);
            let bytes = server_response(text, qtype, answers, ext_rcode);
            let full = Message::from_vec(&bytes).unwrap();
            let lean = Response::decode(&bytes, &question).unwrap();
            let expected: Vec<RData> = full
                .answers
                .iter()
                .filter(|record| record.record_type() == qtype)
                .map(|record| record.data.clone())
                .collect();
            assert_eq!(lean.answers, expected, "{text} {qtype}");
            assert_eq!(lean.response_code, full.metadata.response_code);
            assert_eq!(lean.authentic_data, full.metadata.authentic_data);
            assert!(!lean.truncation);
        }
        let bytes = server_response("a.mcdns.", RecordType::TXT, vec![], 1);
        let question = Question::new(&name("a.mcdns."), RecordType::TXT);
        // 16: BADVERS (RFC 6891 §9), the code hickory also names BADSIG.
        let code = Response::decode(&bytes, &question).unwrap().response_code;
        assert_eq!(u16::from(code), 16);
    }

    /// An Extended DNS Error option (RFC 8914 §2: code 15, a 16-bit
    /// INFO-CODE, then optional EXTRA-TEXT).
    fn ede(info_code: u16, extra_text: &str) -> EdnsOption {
        let mut data = info_code.to_be_bytes().to_vec();
        data.extend_from_slice(extra_text.as_bytes());
        EdnsOption::Unknown(EDE_OPTION, data)
    }

    fn ede_of(options: Vec<EdnsOption>, code: ResponseCode) -> Option<u16> {
        let question = Question::new(&name("a.mcdns."), RecordType::DNSKEY);
        let mut bytes = server_response_with("a.mcdns.", RecordType::DNSKEY, vec![], 0, options);
        // RCODE in the header's low four bits.
        bytes[3] = (bytes[3] & 0xf0) | (u16::from(code) as u8 & 0x0f);
        let response = Response::decode(&bytes, &question).unwrap();
        assert_eq!(response.response_code, code);
        response.extended_error
    }

    /// RFC 8914 §2: the first EDE option's INFO-CODE is kept, with or
    /// without EXTRA-TEXT, whatever other options stand before it; an EDE
    /// too short to hold an INFO-CODE is skipped.
    #[test]
    fn decode_keeps_the_first_extended_dns_error() {
        use ResponseCode::{NoError, ServFail};
        let nsid = EdnsOption::Unknown(3, b"unbound-1".to_vec());
        let cases: Vec<(Vec<EdnsOption>, ResponseCode, Option<u16>)> = vec![
            (vec![], ServFail, None),
            (vec![nsid.clone()], ServFail, None),
            (vec![ede(7, "")], ServFail, Some(7)),
            (
                vec![ede(9, "no DNSKEY matches DS"), ede(6, "")],
                ServFail,
                Some(9),
            ),
            (vec![nsid.clone(), ede(22, "timeout")], ServFail, Some(22)),
            (vec![ede(3, "stale")], NoError, Some(3)),
            (
                vec![EdnsOption::Unknown(EDE_OPTION, vec![0]), ede(6, "x")],
                ServFail,
                Some(6),
            ),
            (
                vec![EdnsOption::Unknown(EDE_OPTION, vec![])],
                ServFail,
                None,
            ),
            (vec![ede(0xffff, "")], ServFail, Some(0xffff)),
        ];
        for (options, code, want) in cases {
            assert_eq!(ede_of(options.clone(), code), want, "{options:?}");
        }
    }

    /// A malformed option inside an OPT RDATA that fits the message ends
    /// the option reading but not the response; an RDATA running past the
    /// message makes it malformed, as any record would.
    #[test]
    fn a_malformed_option_leaves_the_response_usable() {
        let question = Question::new(&name("a.mcdns."), RecordType::TXT);
        let options = vec![EdnsOption::Unknown(65_001, vec![1, 2, 3, 4]), ede(6, "")];
        let bytes = server_response_with("a.mcdns.", RecordType::TXT, vec![], 0, options);
        assert_eq!(
            Response::decode(&bytes, &question).unwrap().extended_error,
            Some(6)
        );
        // The OPT record is last: RDLENGTH, then the first option (code,
        // length, 4 octets), then the EDE (code, length, INFO-CODE).
        let opt_rdata = bytes.len() - 8 - 6;
        let first_len = opt_rdata + 2;
        assert_eq!(bytes[first_len..first_len + 2], [0, 4]);
        for overrun in [[0, 5], [0, 15], [0xff, 0xff]] {
            let mut broken = bytes.clone();
            broken[first_len..first_len + 2].copy_from_slice(&overrun);
            let response = Response::decode(&broken, &question).unwrap();
            assert_eq!(response.extended_error, None, "{overrun:?}");
            assert_eq!(response.response_code, ResponseCode::NoError);
        }
        // Fewer than the four octets of an option header left: ignored.
        let mut short = bytes.clone();
        short[opt_rdata - 2..opt_rdata].copy_from_slice(&(8u16 + 3).to_be_bytes());
        short.truncate(opt_rdata + 8 + 3);
        assert_eq!(
            Response::decode(&short, &question).unwrap().extended_error,
            None
        );
        // RDLENGTH past the end of the message.
        let mut overlong = bytes.clone();
        overlong[opt_rdata - 1] += 1;
        assert!(Response::decode(&overlong, &question).is_err());
    }

    /// Every proper prefix of a response lacks something its counts
    /// promise: none decodes. Bad label codes and record data that does not
    /// parse as its type fail too.
    #[test]
    fn decode_refuses_cut_and_broken_responses() {
        use hickory_proto::rr::rdata::TXT;
        let question = Question::new(&name("a.mcdns."), RecordType::TXT);
        let bytes = server_response(
            "a.mcdns.",
            RecordType::TXT,
            vec![RData::TXT(TXT::new(vec!["v=spf1 -all".into()]))],
            0,
        );
        assert!(Response::decode(&bytes, &question).is_ok());
        for len in 0..bytes.len() {
            assert!(Response::decode(&bytes[..len], &question).is_err(), "{len}");
        }
        // The CNAME's owner is the first name after the question: make its
        // first octet an extended label type (0b01).
        let owner_at = HEADER_LEN + question.as_bytes().len();
        let mut extended = bytes.clone();
        extended[owner_at] = 0x41;
        assert!(Response::decode(&extended, &question).is_err());
        // A TXT record whose RDLENGTH overstates its one string.
        let answer = "v=spf1 -all";
        let at = bytes
            .windows(answer.len())
            .position(|window| window == answer.as_bytes())
            .unwrap();
        let mut overlong = bytes.clone();
        overlong[at - 1] += 1; // the string's length octet
        assert!(Response::decode(&overlong, &question).is_err());
    }

    /// Regression guard for hostile input: random corruption of a valid
    /// response never panics the decoder.
    #[test]
    fn decode_never_panics_on_corrupted_responses() {
        use hickory_proto::rr::rdata::{MX, TXT};
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x6d63);
        for (qtype, answers) in [
            (
                RecordType::TXT,
                vec![RData::TXT(TXT::new(vec!["v=spf1 -all".into()]))],
            ),
            (
                RecordType::MX,
                vec![RData::MX(MX::new(
                    10,
                    Name::from_ascii("mx.mcdns.").unwrap(),
                ))],
            ),
        ] {
            let question = Question::new(&name("a.mcdns."), qtype);
            // Options too, so corruption reaches the EDE reading.
            let options = vec![
                EdnsOption::Unknown(3, b"ns1".to_vec()),
                ede(6, "DNSSEC bogus"),
            ];
            let bytes = server_response_with("a.mcdns.", qtype, answers, 0, options);
            assert_eq!(
                Response::decode(&bytes, &question).unwrap().extended_error,
                Some(6)
            );
            for _ in 0..20_000 {
                let mut corrupted = bytes.clone();
                for _ in 0..rng.random_range(1..4) {
                    let at = rng.random_range(0..corrupted.len());
                    corrupted[at] = rng.random();
                }
                let _ = Response::decode(&corrupted, &question);
            }
        }
    }
}
