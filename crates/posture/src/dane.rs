//! DANE for SMTP (RFC 7672): TLSA at `_25._tcp.<mx host>`.
//!
//! TODO(posture helper): implement and test.

use std::collections::HashMap;
use std::sync::Arc;

use crate::evidence::{Lookup, TlsaRecord};
use crate::mx::MxPosture;
use crate::status::Status;

/// The TLSA query name for an MX host (RFC 7672 §2.2.3).
pub fn tlsa_name(host: &str) -> String {
    format!("_25._tcp.{host}")
}

/// Classifies DANE from the MX posture and the TLSA lookups of its hosts
/// (keyed by host).
pub fn classify(mx: &MxPosture, tlsa: &HashMap<String, Arc<Lookup<TlsaRecord>>>) -> Status {
    let _ = (mx, tlsa);
    Status::Error
}
