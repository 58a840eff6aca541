//! Record decoding: a response (or the transport's failure) becomes the
//! evidence the classifiers read. The engine's probe plan decides what to ask;
//! this module only says what an answer means.

use hickory_proto::dnssec::PublicKey;
use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RData;
use mailcensus_posture::{Failure, Lookup, MxRecord, TlsaRecord, TxtRecord, Validated};

use crate::transport::TransportError;
use crate::wire::Response;

/// How one attempt ended: the response, or the failure kind the evidence
/// records.
pub(crate) type Answer = Result<Response, Failure>;

/// The evidence's failure kind for a transport error: the boundary between
/// the transport's reasons and the outcomes the classifiers read.
pub(crate) fn failure_of(error: &TransportError) -> Failure {
    match error {
        TransportError::Timeout => Failure::Timeout,
        TransportError::Malformed(_) => Failure::Malformed,
        // A query that cannot be framed cannot be sent, like a name DNS
        // cannot carry.
        TransportError::TooLong => Failure::FormErr,
        _ => Failure::Transport,
    }
}

pub(crate) fn rcode_failure(code: ResponseCode) -> Failure {
    match code {
        ResponseCode::ServFail => Failure::ServFail,
        ResponseCode::Refused => Failure::Refused,
        ResponseCode::FormErr => Failure::FormErr,
        other => Failure::OtherRcode(u16::from(other)),
    }
}

/// The records of the asked type in the answer section (the only ones a
/// [`Response`] keeps), or the negative or failed outcome. A record of the
/// asked type whose data is not what that type must carry makes the whole
/// lookup malformed: partial RRsets would be misread.
pub(crate) fn to_lookup<T>(reply: Answer, extract: impl Fn(&RData) -> Option<T>) -> Lookup<T> {
    let response: Response = match reply {
        Ok(response) => response,
        Err(failure) => return Lookup::Failed(failure),
    };
    match response.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => return Lookup::NxDomain,
        other => return Lookup::Failed(rcode_failure(other)),
    }
    let mut records = Vec::with_capacity(response.answers.len());
    for data in &response.answers {
        match extract(data) {
            Some(value) => records.push(value),
            None => return Lookup::Failed(Failure::Malformed),
        }
    }
    Lookup::from_records(records)
}

/// [`to_lookup`] with the AD flag of the answer (RFC 4035 §3.2.3), for
/// queries asked with DO=1. A failure was not validated, whatever its flags.
pub(crate) fn to_validated<T>(
    reply: Answer,
    extract: impl Fn(&RData) -> Option<T>,
) -> Validated<T> {
    let authenticated = reply.as_ref().is_ok_and(|response| response.authentic_data);
    let lookup = to_lookup(reply, extract);
    Validated {
        authenticated: authenticated && lookup.failure().is_none(),
        lookup,
    }
}

pub(crate) fn txt_record(data: &RData) -> Option<TxtRecord> {
    match data {
        RData::TXT(txt) => Some(TxtRecord {
            strings: txt.txt_data.iter().map(|s| s.to_vec()).collect(),
        }),
        _ => None,
    }
}

pub(crate) fn mx_record(data: &RData) -> Option<MxRecord> {
    match data {
        RData::MX(mx) => Some(MxRecord {
            preference: mx.preference,
            exchange: mx.exchange.to_ascii(),
        }),
        _ => None,
    }
}

pub(crate) fn tlsa_record(data: &RData) -> Option<TlsaRecord> {
    match data {
        RData::TLSA(tlsa) => Some(TlsaRecord {
            usage: u8::from(tlsa.cert_usage),
            selector: u8::from(tlsa.selector),
            matching_type: u8::from(tlsa.matching),
            data: tlsa.cert_data.clone(),
        }),
        _ => None,
    }
}

pub(crate) fn ds_algorithm(data: &RData) -> Option<u8> {
    match data {
        RData::DNSSEC(DNSSECRData::DS(ds)) => Some(u8::from(ds.algorithm())),
        _ => None,
    }
}

pub(crate) fn dnskey_algorithm(data: &RData) -> Option<u8> {
    match data {
        RData::DNSSEC(DNSSECRData::DNSKEY(key)) => Some(u8::from(key.public_key().algorithm())),
        _ => None,
    }
}

/// The MX hosts to ask TLSA for: exchanges, lowercase, without the trailing
/// dot, null MX (`.`) excluded, each once.
pub(crate) fn mx_hosts(mx: &Lookup<MxRecord>) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for record in mx.records() {
        let host = record.exchange.trim_end_matches('.').to_ascii_lowercase();
        if !host.is_empty() && !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{MX, TXT};
    use hickory_proto::rr::{Name, RecordType};

    fn reply(code: ResponseCode, answers: Vec<RData>) -> Answer {
        Ok(Response {
            response_code: code,
            authentic_data: false,
            truncation: false,
            extended_error: None,
            answers,
        })
    }

    /// Which records are of the asked type is `Response::decode`'s part
    /// (tested in `wire`); this maps what it kept.
    #[test]
    fn replies_map_to_exactly_one_outcome() {
        let txt = RData::TXT(TXT::new(vec!["v=spf1 -all".into()]));
        let cases: Vec<(Answer, Lookup<TxtRecord>)> = vec![
            (
                reply(ResponseCode::NoError, vec![txt.clone()]),
                Lookup::Records(vec![TxtRecord::single("v=spf1 -all")]),
            ),
            (reply(ResponseCode::NoError, vec![]), Lookup::NoData),
            (reply(ResponseCode::NXDomain, vec![]), Lookup::NxDomain),
            // The RCODE decides, whatever records came with it.
            (reply(ResponseCode::NXDomain, vec![txt]), Lookup::NxDomain),
            (
                reply(ResponseCode::ServFail, vec![]),
                Lookup::Failed(Failure::ServFail),
            ),
            (
                reply(ResponseCode::Refused, vec![]),
                Lookup::Failed(Failure::Refused),
            ),
            (
                reply(ResponseCode::FormErr, vec![]),
                Lookup::Failed(Failure::FormErr),
            ),
            (
                reply(ResponseCode::NotImp, vec![]),
                Lookup::Failed(Failure::OtherRcode(4)),
            ),
            (
                reply(ResponseCode::BADVERS, vec![]),
                Lookup::Failed(Failure::OtherRcode(16)),
            ),
            (Err(Failure::Timeout), Lookup::Failed(Failure::Timeout)),
            (Err(Failure::Malformed), Lookup::Failed(Failure::Malformed)),
        ];
        for (input, expected) in cases {
            assert_eq!(to_lookup(input, txt_record), expected);
        }
        // A record of the asked type with the wrong data is malformed, and
        // so is one with empty data.
        let mx = RData::MX(MX::new(10, Name::from_ascii("mx.a.mcdns.").unwrap()));
        for wrong in [
            RData::Unknown {
                code: RecordType::TXT,
                rdata: hickory_proto::rr::rdata::NULL::with(vec![0xff]),
            },
            RData::Update0(RecordType::TXT),
            mx,
        ] {
            assert_eq!(
                to_lookup(reply(ResponseCode::NoError, vec![wrong]), txt_record),
                Lookup::Failed(Failure::Malformed)
            );
        }
    }

    #[test]
    fn mx_hosts_skip_null_mx_and_duplicates() {
        let lookup = Lookup::Records(vec![
            MxRecord {
                preference: 10,
                exchange: "MX1.Example.mcdns.".into(),
            },
            MxRecord {
                preference: 20,
                exchange: "mx1.example.mcdns".into(),
            },
            MxRecord {
                preference: 0,
                exchange: ".".into(),
            },
        ]);
        assert_eq!(mx_hosts(&lookup), vec!["mx1.example.mcdns".to_string()]);
        assert!(mx_hosts(&Lookup::Failed(Failure::Timeout)).is_empty());
    }
}
