//! The common status vocabulary of the Parquet contract.

use std::fmt;

use crate::evidence::{Lookup, TxtRecord};

/// Status shared by SPF, DMARC, MTA-STS, TLS-RPT, BIMI (plus `declined`) and DANE.
///
/// * `valid`: found, and it parses per its RFC;
/// * `invalid`: found but broken (syntax, several records, limits exceeded);
/// * `absent`: an authoritative negative answer;
/// * `error`: could not be determined (a query failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Found and well-formed.
    Valid,
    /// Found but broken.
    Invalid,
    /// Authoritatively absent.
    Absent,
    /// Could not be determined.
    Error,
}

impl Status {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Absent => "absent",
            Status::Error => "error",
        }
    }

    /// Every status, in label order of the vocabulary.
    pub const ALL: [Status; 4] = [
        Status::Valid,
        Status::Invalid,
        Status::Absent,
        Status::Error,
    ];
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The status a lookup has before its records are looked at: `Some(Absent)` for
/// NXDOMAIN and NODATA, `Some(Error)` for a failure, `None` when there are
/// records to classify.
pub(crate) fn negative_status<T>(lookup: &Lookup<T>) -> Option<Status> {
    match lookup {
        Lookup::Records(_) => None,
        Lookup::NoData | Lookup::NxDomain => Some(Status::Absent),
        Lookup::Failed(_) => Some(Status::Error),
    }
}

/// The status of a record found by a `select` that yields the one record or an
/// error: a negative or failed lookup first, then valid / absent (no
/// candidate record among the TXT) / invalid. MTA-STS and TLS-RPT share it.
pub(crate) fn status_of_selection<R, E>(
    lookup: &Lookup<TxtRecord>,
    select: impl Fn(&Lookup<TxtRecord>) -> Result<Option<R>, E>,
) -> Status {
    if let Some(status) = negative_status(lookup) {
        return status;
    }
    match select(lookup) {
        Ok(Some(_)) => Status::Valid,
        Ok(None) => Status::Absent,
        Err(_) => Status::Invalid,
    }
}
