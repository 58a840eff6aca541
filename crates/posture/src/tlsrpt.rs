//! TODO(posture helper): implement and test.

use crate::evidence::{Lookup, TxtRecord};
use crate::status::Status;

/// Classifies the TXT RRset of the policy-discovery name.
pub fn classify(lookup: &Lookup<TxtRecord>) -> Status {
    let _ = lookup;
    Status::Error
}
